/** How a tool's definition changed, for a person to read: a unified diff of the JSON, and the changed words of its text. */
import canonicalize from 'canonicalize';
import { createTwoFilesPatch, diffWords } from 'diff';

const pretty = (value: unknown) => (value === undefined ? '' : `${JSON.stringify(JSON.parse(canonicalize(value) as string), null, 2)}\n`);

/** The words that changed in a text, marked [-removed-]{+added+}. */
export function wordDiff(before: string, after: string): string {
  return diffWords(before, after)
    .map((part) => (part.added ? `{+${part.value}+}` : part.removed ? `[-${part.value}-]` : part.value))
    .join('');
}

/** A unified diff of two definitions, then the changed words of their title and description. */
export function definitionDiff(label: string, before: Record<string, unknown> | undefined, after: Record<string, unknown>): string {
  let text = createTwoFilesPatch(`${label} (approved)`, `${label} (now)`, pretty(before), pretty(after));
  for (const field of ['title', 'description'] as const) {
    const old = before?.[field];
    const now = after[field];
    if (typeof old === 'string' && typeof now === 'string' && old !== now) text += `${field}, word by word: ${wordDiff(old, now)}\n`;
  }
  return text;
}
