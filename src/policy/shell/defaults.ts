/**
 * The default guard, applied without an explicit rule to tools that take a command line: tools of
 * known terminal servers, and any tool whose input schema has an argument named command, cmd,
 * script or shell_command. It allows a built-in list of read-only commands and asks for anything
 * else. `policy.shellGuard` changes the lists or switches the default guard off.
 */
import type { ToolDefinition } from '../tiers.js';

export const DEFAULT_READ_ONLY = Object.freeze([
  'ls *', 'pwd', 'cat *', 'head *', 'tail *', 'wc *', 'grep *', 'egrep *', 'fgrep *', 'rg *', 'find *', 'tree *', 'file *', 'stat *',
  'du *', 'df *', 'echo *', 'printf *', 'date *', 'whoami', 'id *', 'uname *', 'hostname', 'which *', 'type *', 'command -v *',
  'basename *', 'dirname *', 'realpath *', 'readlink *', 'sort *', 'uniq *', 'cut *', 'tr *', 'diff *', 'cmp *', 'comm *', 'nl *',
  'od *', 'xxd *', 'hexdump *', 'md5sum *', 'sha1sum *', 'sha256sum *', 'column *', 'jq *', 'sed *', 'awk *', 'true', 'false',
  'test *', '[ *', 'ps *', 'env', 'printenv *', 'uptime', 'free *', 'lsof *', 'git status *', 'git log *', 'git diff *', 'git show *',
  'git branch', 'git branch -a', 'git branch -r', 'git branch -v', 'git branch -vv', 'git branch --list *', 'git rev-parse *', 'git ls-files *',
  'git blame *', 'git grep *', 'git remote', 'git remote -v', 'git tag', 'git tag -l *', 'git tag --list *', 'git cat-file *', 'git for-each-ref *',
  'git show-ref *', 'git shortlog *', 'git describe *', 'git rev-list *', 'git diff-tree *', 'git show-branch *', 'git whatchanged *',
  'git stash list *', 'git stash show *', 'git config --get *', 'git config --list', 'git config -l', 'git remote show *',
  'git var *', 'git reflog', 'git reflog show *', 'fd *', 'tar -tf *', 'tar -tvf *', 'unzip -l *', 'unzip -Z *',
  'unzip -v *', 'cargo tree *', 'cargo metadata *', 'base64 *', 'mktemp -u *', 'node --version',
  'npm --version', 'npm ls *', 'python3 --version',
]);

/** Tools of known terminal servers, and the argument that holds the command line. */
const KNOWN_TERMINAL_TOOLS: Readonly<Record<string, string>> = {
  start_process: 'command',
  interact_with_process: 'input',
  write_to_terminal: 'command',
  execute_command: 'command',
  run_command: 'command',
  shell_execute: 'command',
  run_in_terminal: 'command',
};

const COMMAND_ARGUMENTS = ['command', 'cmd', 'script', 'shell_command'];

/** Shells whose syntax the guard reads. A terminal tool told to use another interpreter is refused. */
const KNOWN_SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash']);

/** Why the call's choice of interpreter (desktop-commander's `shell` argument) defeats the guard, if it does. */
export function interpreterProblem(args: Record<string, unknown> | undefined): string | undefined {
  const shell = args?.shell;
  if (shell === undefined || shell === null || shell === '') return undefined;
  if (typeof shell === 'string' && KNOWN_SHELLS.has(shell.split('/').pop() ?? '')) return undefined;
  return `the call asks for the interpreter ${JSON.stringify(shell).slice(0, 60)}, whose language the shell guard cannot read`;
}

/** The argument of a tool that holds a command line, if the tool is a terminal tool. */
export function commandArgumentOf(tool: string, definition: ToolDefinition | undefined): string | undefined {
  const properties = (definition?.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  const known = KNOWN_TERMINAL_TOOLS[tool];
  if (known && (definition === undefined || known in properties)) return known;
  return COMMAND_ARGUMENTS.find((name) => name in properties);
}
