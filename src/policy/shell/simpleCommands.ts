/**
 * Every simple command a command line would run, found by walking the whole parse tree: inside
 * substitutions, process substitutions, subshells, groups, loops, conditionals, function bodies,
 * pipelines and heredocs alike. Each word is resolved to its literal value after quote removal, or
 * to null when the shell would compute it (variables, substitutions, globs, braces, $'...').
 * Constructs the guard never allows are reported as problems: a parse error, a function
 * definition, a bare assignment. File writes by redirection are reported apart.
 */
import type { Node } from 'web-tree-sitter';

export interface SimpleCommand {
  /** Literal words; null where the shell would compute the word. */
  readonly words: ReadonlyArray<string | null>;
  /** Variable assignments before the command (`PATH=... cmd`), or by export/declare/local. */
  readonly assignments: readonly string[];
  /** The command as written; kept only when assignments refuse it. */
  readonly text: string;
}

export interface Redirection {
  /** The file written, or null when the shell would compute its name. */
  readonly target: string | null;
  readonly text: string;
}

export interface CommandLine {
  readonly commands: SimpleCommand[];
  readonly writes: Redirection[];
  /** Why the line cannot be allowed at all, whatever the patterns say. */
  readonly problems: string[];
}

/** Unquoted characters that make a word in command position a pattern or an expansion. */
const EXPANDING_IN_COMMAND = /[*?[\]{}~]/;
/** Brace expansion (`{a,b}`, `{1..3}`) turns one argument into several. A bare `{}` stays literal. */
const BRACE_EXPANSION = /\{[^{}]*(,|\.\.)[^{}]*\}/;

function unescapeWord(text: string, commandPosition: boolean): string | null {
  // Most words have nothing to unescape: answer them without building strings.
  if (!text.includes('\\')) {
    if (commandPosition && EXPANDING_IN_COMMAND.test(text)) return null;
    return BRACE_EXPANSION.test(text) ? null : text;
  }
  let out = '';
  let unquoted = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (char === '\\') {
      index++;
      if (index < text.length && text[index] !== '\n') out += text[index];
      unquoted += '_';
      continue;
    }
    if (commandPosition && EXPANDING_IN_COMMAND.test(char)) return null;
    out += char;
    unquoted += char;
  }
  return BRACE_EXPANSION.test(unquoted) ? null : out;
}

function unescapeDoubleQuoted(text: string): string {
  return text.replace(/\\([\\"$`\n])/g, (_match, char: string) => (char === '\n' ? '' : char));
}

/** The literal value of a word node, or null when the shell would compute it. */
export function literalOf(node: Node, commandPosition = false, type = node.type): string | null {
  // Every property of a node is a call into the parser: read each once.
  switch (type) {
    case 'word':
      return unescapeWord(node.text, commandPosition);
    case 'number':
      return node.text;
    case 'raw_string':
      return node.text.slice(1, -1);
    case 'string': {
      let out = '';
      for (const child of node.namedChildren) {
        if (!child || child.type !== 'string_content') return null;
        out += unescapeDoubleQuoted(child.text);
      }
      return node.namedChildCount === 0 ? '' : out;
    }
    case 'concatenation': {
      let out = '';
      for (const child of node.namedChildren) {
        const part = child ? literalOf(child, commandPosition) : null;
        if (part === null) return null;
        out += part;
      }
      return out;
    }
    case 'command_name': {
      const child = node.namedChild(0);
      return child ? literalOf(child, true) : null;
    }
    default:
      return null;
  }
}

const WRITE_OPERATORS = new Set(['>', '>>', '>|', '&>', '&>>', '<>', '>&']);
const HARMLESS_TARGETS = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/fd/1', '/dev/fd/2']);

function redirectionOf(node: Node): Redirection | undefined {
  let operator = '';
  for (let index = 0; index < node.childCount; index++) {
    const child = node.child(index);
    if (child && !child.isNamed && child.type !== '') operator = child.type;
  }
  if (!WRITE_OPERATORS.has(operator)) return undefined;
  const destination = node.childForFieldName('destination');
  if (!destination) return undefined;
  // `>&2` duplicates a descriptor; it writes no file.
  if (operator === '>&' && /^\d+-?$/.test(destination.text)) return undefined;
  const target = literalOf(destination);
  if (target !== null && HARMLESS_TARGETS.has(target)) return undefined;
  return { target, text: node.text };
}

function simpleCommandOf(node: Node, nodeType: string): SimpleCommand {
  const words: Array<string | null> = [];
  const assignments: string[] = [];
  const declaration = nodeType === 'declaration_command' || nodeType === 'unset_command';
  for (const child of node.namedChildren) {
    if (!child) continue;
    const type = child.type;
    if (type === 'variable_assignment') assignments.push(child.text);
    else if (type === 'command_name') words.push(literalOf(child, false, type));
    else if (declaration) words.push(type === 'variable_name' ? child.text : literalOf(child, false, type));
    else if (type !== 'file_redirect' && type !== 'herestring_redirect') words.push(literalOf(child, false, type));
  }
  if (declaration) words.unshift(node.child(0)?.type ?? null);
  // The text is only shown when assignments refuse the command.
  return { words, assignments, text: assignments.length > 0 ? node.text : '' };
}

/** Node types the walk acts on; every other node is only passed through. */
const INTERESTING = new Set(['command', 'declaration_command', 'unset_command', 'function_definition', 'variable_assignment', 'file_redirect']);

export function commandsOf(root: Node): CommandLine {
  const line: CommandLine = { commands: [], writes: [], problems: [] };
  // Error and missing nodes are not types one can search for; hasError covers both.
  if (root.hasError) line.problems.push('the command line does not parse as shell');
  const visit = (node: Node) => {
    const type = node.type;
    switch (type) {
      case 'command':
      case 'declaration_command':
      case 'unset_command':
        line.commands.push(simpleCommandOf(node, type));
        break;
      case 'function_definition':
        line.problems.push(`defines a function (${node.childForFieldName('name')?.text ?? '?'}), which could stand in for any command`);
        break;
      case 'variable_assignment':
        if (node.parent?.type === 'program' || node.parent?.type === 'variable_assignments' || node.parent?.type === 'list') {
          line.problems.push(`sets a shell variable: ${node.text.slice(0, 60)}`);
        }
        break;
      case 'file_redirect': {
        const write = redirectionOf(node);
        if (write) line.writes.push(write);
        break;
      }
      default:
        break;
    }
  };
  // One call into the parser finds every node of interest, in document order; walking the tree
  // node by node from JavaScript costs more than the parse itself.
  for (const node of root.descendantsOfType([...INTERESTING])) if (node) visit(node);
  return line;
}
