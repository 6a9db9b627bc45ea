/**
 * Whether a path argument stays inside allowed roots. The check is made on what the path really
 * names: `~` expanded, `file:` URLs and percent-encoding decoded, `.` and `..` resolved, and
 * symlinks followed as far as the path exists, so that none of them can lead outside a root.
 * Relative paths are taken from the first root; relative roots from the config file's folder. A path with a NUL byte is never inside.
 */
import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real path of `path`: its longest existing ancestor resolved through symlinks, plus the rest. */
export async function realPathOf(path: string): Promise<string> {
  const rest: string[] = [];
  let current = path;
  for (;;) {
    try {
      return join(await realpath(current), ...rest.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      const parent = dirname(current);
      if (parent === current) return join(current, ...rest.reverse());
      rest.push(basename(current));
      current = parent;
    }
  }
}

function expand(path: string, base: string): string {
  const home = path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
  const local = home.startsWith('file:') ? fileURLToPath(home) : home;
  return isAbsolute(local) ? resolve(local) : resolve(base, local);
}

/** The forms a server might read the value as: as given, and percent-decoded. */
function readings(value: string): string[] {
  if (!/%[0-9a-fA-F]{2}/.test(value)) return [value];
  try {
    return [value, decodeURIComponent(value)];
  } catch {
    return [value];
  }
}

export class PathRoots {
  private realRoots: Promise<string[]> | undefined;

  /** `baseDir` anchors relative roots: the config file's folder. */
  constructor(
    private readonly roots: readonly string[],
    private readonly baseDir: string,
  ) {}

  private resolvedRoots(): Promise<string[]> {
    this.realRoots ??= Promise.all(this.roots.map((root) => realPathOf(expand(root, this.baseDir))));
    return this.realRoots;
  }

  async contains(value: unknown): Promise<boolean> {
    if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) return false;
    const roots = await this.resolvedRoots();
    const base = roots[0] ?? process.cwd();
    for (const reading of readings(value)) {
      const real = await realPathOf(expand(reading, base));
      if (!roots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : root + sep))) return false;
    }
    return true;
  }
}
