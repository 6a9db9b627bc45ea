/**
 * Flags that turn programs usually read-only into writers or executors. Built from GTFOBins and
 * the argument-injection vectors (see ../shared/corpora): a pattern like "git diff *" must not
 * let `git diff --output=~/.bashrc` or `git -c core.pager=sh log` through. A finding turns an
 * allowed command into ask (or deny, by config).
 */
import { basename } from 'node:path';
import type { Words } from './wrappers.js';

type Check = (args: readonly string[]) => string | undefined;

/** Options (exact, `--opt=value`, or short with a joined value) that make a program dangerous. */
function options(...names: string[]): Check {
  return (args) => {
    for (const arg of args) {
      for (const name of names) {
        if (arg === name || (name.startsWith('--') && arg.startsWith(`${name}=`)) || (/^-[A-Za-z]$/.test(name) && arg.startsWith(name) && !arg.startsWith('--'))) {
          return `${name} can run programs or write files`;
        }
      }
    }
    return undefined;
  };
}

/** A sed command `e` (run), `w` or `W` (write), after an optional address. */
const SED_COMMAND = /(^|[;\n{}])\s*(\d+|\$|\/[^/]*\/)?\s*(,\s*(\d+|\$|\/[^/]*\/))?\s*!?\s*[ewW](\s|$)/;
/** A sed substitution with the `e` or `w` flag: s/a/b/e. */
const SED_SUBSTITUTE_FLAG = /s(.)(?:(?!\1).)*\1(?:(?!\1).)*\1[gpiImM0-9]*[ew]/;

function sed(args: readonly string[]): string | undefined {
  for (const [index, arg] of args.entries()) {
    if (arg === '-i' || arg.startsWith('-i') || arg.startsWith('--in-place')) return 'sed -i rewrites files';
    const script = arg === '-e' || arg === '--expression' ? args[index + 1] : !arg.startsWith('-') ? arg : undefined;
    if (script && (SED_COMMAND.test(script) || SED_SUBSTITUTE_FLAG.test(script))) return 'the sed script runs commands (e) or writes files (w)';
  }
  return undefined;
}

function awk(args: readonly string[]): string | undefined {
  for (const arg of args) {
    if (arg.startsWith('-f') || arg.startsWith('--file')) return 'an awk program from a file cannot be checked';
    if (!arg.startsWith('-') && /system\s*\(|\|\s*["'a-zA-Z_$]|["')\]]\s*\||>\s*["a-zA-Z_($]/.test(arg)) return 'the awk program runs commands or writes files';
  }
  return undefined;
}

function ssh(args: readonly string[]): string | undefined {
  for (const [index, arg] of args.entries()) {
    const option = arg === '-o' ? (args[index + 1] ?? '') : arg.startsWith('-o') ? arg.slice(2) : '';
    if (/^\s*(ProxyCommand|LocalCommand|PermitLocalCommand|KnownHostsCommand|Match)\b/i.test(option)) return `ssh -o ${option.split(/[=\s]/)[0]} runs a local command`;
    if (arg === '-F') return 'ssh -F reads a configuration that can run commands';
  }
  return undefined;
}

const TABLE: Readonly<Record<string, Check>> = {
  git: options('-c', '--config-env', '--exec-path', '--output', '--upload-pack', '--receive-pack', '-u', '--exec', '--open-files-in-pager', '-O', '--ext-diff', '--textconv', '--template', '--config', '--git-dir', '--work-tree'),
  find: options('-exec', '-execdir', '-ok', '-okdir', '-delete', '-fprint', '-fprint0', '-fprintf', '-fls'),
  sort: options('--compress-program', '-o', '--output'),
  rg: options('--pre', '--pre-glob'),
  tar: options('--to-command', '--checkpoint-action', '--use-compress-program', '-I', '--info-script', '-F', '--new-volume-script', '--rsh-command', '--rmt-command'),
  zip: options('-T', '--test', '-TT', '--unzip-command'),
  hg: options('--config', '--debugger'),
  psql: options('-c', '--command', '-f', '--file', '-o', '--output', '-L', '--log-file'),
  sendmail: options('-O', '-X', '-C', '-be'),
  chrome: options('--gpu-launcher', '--renderer-cmd-prefix', '--utility-cmd-prefix', '--browser-subprocess-path'),
  rsync: options('-e', '--rsh', '--rsync-path'),
  sed,
  awk,
  gawk: awk,
  mawk: awk,
  nawk: awk,
  ssh,
  scp: options('-S', '-o'),
  xxd: options('-r', '-revert'),
  fd: options('-x', '--exec', '-X', '--exec-batch'),
};

/** Programs that offer an interactive escape to a shell (less `!`, vim `:!`): never read-only. */
const ESCAPES = new Set(['less', 'more', 'most', 'pg', 'man', 'vi', 'vim', 'nvim', 'view', 'vimdiff', 'ex', 'ed', 'nano', 'pico', 'emacs', 'mg', 'joe']);

/** Why this command is dangerous despite its name, or undefined. */
export function dangerousFlag(words: Words): string | undefined {
  const name = words[0];
  if (!name) return undefined;
  const program = basename(name);
  if (ESCAPES.has(program)) return `${program} has escapes to a shell`;
  const check = TABLE[program];
  if (!check) return undefined;
  return check(words.slice(1).filter((word): word is string => word !== null));
}
