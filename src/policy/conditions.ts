/**
 * Argument conditions, compiled once: a JSON pointer (or several) and one matcher. The values
 * found are every value at the pointers, arrays taken element by element. A condition holds when
 * at least one value is found and all match; with `not`, when some value found does not match.
 */
import { isDeepStrictEqual } from 'node:util';
import jsonpointer from 'jsonpointer';
import picomatch from 'picomatch';
import { RE2JS } from 're2js';
import type { RawCondition } from '../config/policySchema.js';
import { PathRoots } from './pathWithin.js';
import { UrlRule, type Lookup } from './urlAllowed.js';

export type Arguments = Record<string, unknown> | undefined;
type Matcher = (value: unknown) => boolean | Promise<boolean>;

export interface Condition {
  readonly pointers: readonly string[];
  holds(args: Arguments): Promise<boolean>;
}

export interface ConditionContext {
  readonly lookup: Lookup;
  /** Where relative path roots start: the config file's folder. */
  readonly baseDir: string;
}

function matcherOf(condition: RawCondition, { lookup, baseDir }: ConditionContext): Matcher {
  if (condition.glob !== undefined) {
    const glob = picomatch(condition.glob, { dot: true });
    return (value) => typeof value === 'string' && glob(value);
  }
  if (condition.regex !== undefined) {
    const pattern = RE2JS.compile(condition.regex);
    return (value) => typeof value === 'string' && pattern.matcher(value).find();
  }
  if (condition.prefix !== undefined) {
    const prefix = condition.prefix;
    return (value) => typeof value === 'string' && value.startsWith(prefix);
  }
  if (condition.range !== undefined) {
    const { min = -Infinity, max = Infinity } = condition.range;
    return (value) => typeof value === 'number' && value >= min && value <= max;
  }
  if (condition.within !== undefined) {
    const roots = new PathRoots(condition.within, baseDir);
    return (value) => roots.contains(value);
  }
  if (condition.url !== undefined) {
    const rule = new UrlRule(condition.url, lookup);
    return (value) => rule.allows(value);
  }
  const expected = condition.equals;
  return (value) => isDeepStrictEqual(value, expected);
}

function valuesAt(args: Arguments, pointers: readonly string[]): unknown[] {
  const values: unknown[] = [];
  for (const pointer of pointers) {
    const value = pointer === '' ? args : (jsonpointer.get(args ?? {}, pointer) as unknown);
    if (value === undefined) continue;
    if (Array.isArray(value)) values.push(...value);
    else values.push(value);
  }
  return values;
}

export function compileCondition(condition: RawCondition, context: ConditionContext): Condition {
  const pointers = typeof condition.pointer === 'string' ? [condition.pointer] : condition.pointer;
  const matches = matcherOf(condition, context);
  const negated = condition.not === true;
  return {
    pointers,
    async holds(args) {
      const values = valuesAt(args, pointers);
      if (values.length === 0) return false;
      for (const value of values) {
        const matched = await matches(value);
        if (negated && !matched) return true;
        if (!negated && !matched) return false;
      }
      return !negated;
    },
  };
}
