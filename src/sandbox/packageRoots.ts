/**
 * What a local server needs to read to run at all: the directories of its own code. For each of
 * the command and its arguments that names an existing file, the folder that holds its package:
 * everything up to the outermost `node_modules` (where an npm package's dependencies are hoisted),
 * else the nearest folder with a package.json, else the file's own folder. Also the interpreter's
 * installation, when it lives outside the system directories.
 */
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** The system directories every sandbox reads; an interpreter installed under them needs nothing more. */
export const SYSTEM_DIRECTORIES = Object.freeze(['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/opt/homebrew', '/System']);

function onPath(command: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The absolute, symlink-free path of a command or argument, when it names an existing file or folder. */
export function existingPath(value: string, cwd: string, path?: string): string | undefined {
  if (value.startsWith('-')) return undefined;
  const direct = isAbsolute(value) ? value : value.includes('/') ? resolve(cwd, value) : undefined;
  const found = direct && existsSync(direct) ? direct : !value.includes('/') ? onPath(value, path) : undefined;
  if (!found) return undefined;
  try {
    return realpathSync(found);
  } catch {
    return undefined;
  }
}

export function packageRoot(file: string): string {
  const parts = file.split(sep);
  const nodeModules = parts.indexOf('node_modules');
  if (nodeModules > 0) return parts.slice(0, nodeModules + 1).join(sep) || sep;
  const dir = statSync(file).isDirectory() ? file : dirname(file);
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'package.json'))) return current;
    if (dirname(current) === current) break;
  }
  return dir;
}

const underSystem = (path: string) => SYSTEM_DIRECTORIES.some((system) => path === system || path.startsWith(`${system}/`));

/** The folders to bind read-only for a server started as `command args` in `cwd`. */
export function packageRoots(command: string, args: readonly string[], cwd: string, path: string | undefined = process.env.PATH): string[] {
  const roots = new Set<string>();
  for (const value of [command, ...args]) {
    const found = existingPath(value, cwd, path);
    if (!found || underSystem(found)) continue;
    roots.add(packageRoot(found));
  }
  const interpreter = realpathSync(process.execPath);
  if (!underSystem(interpreter)) roots.add(dirname(dirname(interpreter)));
  return [...roots];
}
