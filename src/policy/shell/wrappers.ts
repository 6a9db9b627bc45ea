/**
 * Programs that run another program: the guard looks through them to the command that really
 * runs. `env`, `command`, `builtin`, `exec`, `nohup`, `time`, `nice`, `timeout`, `stdbuf`,
 * `setsid`, `xargs`, `sudo` and `doas` are unwrapped; `sh -c STRING` (and bash, zsh...) and
 * `eval` hand their script back to be parsed; `find -exec` yields the commands it runs. Options that open a shell or
 * split a string into a command (`sudo -s`, `env -S`) cannot be looked through and are problems.
 */
import { basename } from 'node:path';

export type Words = ReadonlyArray<string | null>;

export interface Unwrapped {
  /** The command that finally runs. */
  readonly words: Words;
  /** The wrappers passed on the way. */
  readonly via: readonly string[];
  /** Runs with raised privileges (sudo, doas). */
  readonly privileged: boolean;
  /** Receives arguments the line does not show (xargs). */
  readonly dynamicArguments: boolean;
  /** `sh -c SCRIPT`: the script to parse in turn; null when the shell would compute it. */
  readonly script?: string | null;
  /** Commands that `find -exec` runs. */
  readonly spawned: readonly Words[];
  readonly problem?: string;
}

interface WrapperSpec {
  /** Options that take a value as the next word (or joined, `-n5`, `--signal=KILL`). */
  readonly valued: readonly string[];
  /** Options that make the wrapper something the guard cannot look through. */
  readonly refused?: Readonly<Record<string, string>>;
  /** Plain words consumed after the options (timeout's duration). */
  readonly positional?: number;
  readonly privileged?: boolean;
  readonly dynamicArguments?: boolean;
  /** NAME=VALUE words set the environment (env). */
  readonly assignments?: boolean;
  /** With no command left, the wrapper runs this (xargs runs echo). */
  readonly defaultCommand?: string;
}

const WRAPPERS: Readonly<Record<string, WrapperSpec>> = {
  env: { valued: ['-u', '--unset', '-C', '--chdir'], refused: { '-S': 'env -S splits a string into a command', '--split-string': 'env --split-string splits a string into a command' }, assignments: true },
  command: { valued: [], refused: {} },
  builtin: { valued: [] },
  exec: { valued: ['-a'] },
  nohup: { valued: [] },
  time: { valued: ['-f', '--format', '-o', '--output'] },
  nice: { valued: ['-n', '--adjustment'] },
  timeout: { valued: ['-s', '--signal', '-k', '--kill-after'], positional: 1 },
  stdbuf: { valued: ['-i', '--input', '-o', '--output', '-e', '--error'] },
  setsid: { valued: [] },
  xargs: {
    valued: ['-a', '--arg-file', '-d', '--delimiter', '-E', '--eof', '-I', '--replace', '-L', '--max-lines', '-n', '--max-args', '-P', '--max-procs', '-s', '--max-chars'],
    dynamicArguments: true,
    defaultCommand: 'echo',
  },
  sudo: {
    valued: ['-u', '--user', '-g', '--group', '-h', '--host', '-p', '--prompt', '-C', '--close-from', '-U', '--other-user', '-D', '--chdir', '-r', '--role', '-t', '--type', '-T', '--command-timeout'],
    refused: { '-s': 'sudo -s opens a shell', '--shell': 'sudo --shell opens a shell', '-i': 'sudo -i opens a login shell', '--login': 'sudo --login opens a login shell', '-e': 'sudo -e edits files as root', '--edit': 'sudo --edit edits files as root' },
    privileged: true,
  },
  doas: { valued: ['-u', '-C'], refused: { '-s': 'doas -s opens a shell' }, privileged: true },
};

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'fish', 'busybox']);
const SHELL_VALUED = new Set(['-o', '+o', '-O', '+O', '--rcfile', '--init-file']);

function optionName(word: string): string {
  const equals = word.indexOf('=');
  return word.startsWith('--') && equals > 0 ? word.slice(0, equals) : word.slice(0, 2);
}

/** Skips a wrapper's options; returns the index of the wrapped command, or a problem. */
function skipOptions(words: Words, start: number, spec: WrapperSpec): { next: number; problem?: string } {
  let index = start;
  while (index < words.length) {
    const word = words[index];
    if (word === null || word === undefined) return { next: index, problem: 'a computed option or command word' };
    if (word === '--') return { next: index + 1 };
    if (spec.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) return { next: index, problem: `sets the environment (${word.split('=')[0]}=...)` };
    if (!word.startsWith('-') || word === '-') break;
    const refused = spec.refused?.[word] ?? spec.refused?.[optionName(word)];
    if (refused) return { next: index, problem: refused };
    const name = optionName(word);
    const joined = word.startsWith('--') ? word.includes('=') : word.length > 2;
    index += spec.valued.includes(name) && !joined ? 2 : 1;
  }
  return { next: index + (spec.positional ?? 0) };
}

function shellScript(words: Words): { script: string | null } | undefined {
  for (let index = 1; index < words.length; index++) {
    const word = words[index];
    if (word === null || word === undefined) return { script: null };
    if (word === '-c' || (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(word) && !word.startsWith('--'))) {
      return { script: index + 1 < words.length ? (words[index + 1] ?? null) : null };
    }
    if (SHELL_VALUED.has(word)) index++;
    else if (!word.startsWith('-') && !word.startsWith('+')) return undefined;
  }
  return undefined;
}

/** The commands find runs: each -exec/-execdir/-ok/-okdir up to `;` or `+`. */
function findSpawns(words: Words): Words[] {
  const spawned: Words[] = [];
  for (let index = 1; index < words.length; index++) {
    if (!['-exec', '-execdir', '-ok', '-okdir'].includes(words[index] ?? '')) continue;
    const start = index + 1;
    let end = start;
    while (end < words.length && words[end] !== ';' && words[end] !== '+') end++;
    spawned.push(words.slice(start, end));
    index = end;
  }
  return spawned;
}

export function unwrap(words: Words): Unwrapped {
  const via: string[] = [];
  let privileged = false;
  let dynamicArguments = false;
  let current = words;
  for (let depth = 0; depth < 16; depth++) {
    const name = current[0];
    if (name === null || name === undefined) return { words: current, via, privileged, dynamicArguments, spawned: [] };
    const program = basename(name);
    if (program === 'command' && (current[1] === '-v' || current[1] === '-V')) break;
    const spec = WRAPPERS[program];
    if (!spec) break;
    const { next, problem } = skipOptions(current, 1, spec);
    via.push(program);
    privileged ||= spec.privileged ?? false;
    dynamicArguments ||= spec.dynamicArguments ?? false;
    if (problem) return { words: current, via, privileged, dynamicArguments, spawned: [], problem };
    if (next >= current.length) {
      if (spec.defaultCommand) current = [spec.defaultCommand];
      break;
    }
    current = current.slice(next);
  }
  const program = current[0] ? basename(current[0]) : undefined;
  // eval runs its arguments, joined, as a script.
  const script =
    program === 'eval'
      ? { script: current.slice(1).some((word) => word === null) ? null : current.slice(1).join(' ') }
      : program && SHELLS.has(program)
        ? shellScript(current)
        : undefined;
  const spawned = program === 'find' ? findSpawns(current) : [];
  return { words: current, via, privileged, dynamicArguments, spawned, ...(script ? { script: script.script } : {}) };
}
