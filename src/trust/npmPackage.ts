/**
 * The npm package a local server's command line runs, when it is launched by a package runner:
 * `npx [-y] pkg[@version]`, `npm exec [--] pkg`, `pnpm dlx pkg`, `yarn dlx pkg`, `bunx pkg`. Also
 * the Python runners (`uvx`, `pipx run`), which Bastion cannot pin and reports as such.
 */

export interface LaunchedPackage {
  readonly ecosystem: 'npm' | 'python';
  readonly runner: string;
  /** The package name, without a version. */
  readonly name: string;
  /** The version or range asked for, if any (`pkg@1.2.3`). */
  readonly requested: string | undefined;
  /** The spec as written (`pkg@1.2.3`). */
  readonly spec: string;
  /** The arguments after the package: the server's own. */
  readonly serverArgs: readonly string[];
}

/** Runner options that take a value, so that the value is not mistaken for the package. */
const OPTIONS_WITH_VALUE = new Set(['-p', '--package', '-c', '--call', '--registry', '--cache', '--userconfig', '--from', '--python', '--with']);

function splitSpec(spec: string): { name: string; requested: string | undefined } {
  const at = spec.lastIndexOf('@');
  return at > 0 ? { name: spec.slice(0, at), requested: spec.slice(at + 1) } : { name: spec, requested: undefined };
}

function firstPositional(args: readonly string[]): number | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === '--') return index + 1 < args.length ? index + 1 : undefined;
    if (OPTIONS_WITH_VALUE.has(arg)) {
      index++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return index;
  }
  return undefined;
}

export function launchedPackage(command: string, args: readonly string[]): LaunchedPackage | undefined {
  const runner = command.split('/').pop() ?? command;
  let rest: readonly string[] | undefined;
  let ecosystem: LaunchedPackage['ecosystem'] = 'npm';
  if (runner === 'npx' || runner === 'bunx') rest = args;
  else if ((runner === 'npm' && args[0] === 'exec') || ((runner === 'pnpm' || runner === 'yarn') && args[0] === 'dlx')) rest = args.slice(1);
  else if (runner === 'uvx') [rest, ecosystem] = [args, 'python'];
  else if (runner === 'pipx' && args[0] === 'run') [rest, ecosystem] = [args.slice(1), 'python'];
  if (!rest) return undefined;
  const at = firstPositional(rest);
  if (at === undefined) return undefined;
  const spec = rest[at] as string;
  const serverArgs = rest.slice(at + 1);
  return { ecosystem, runner, spec, serverArgs, ...(ecosystem === 'npm' ? splitSpec(spec) : { name: spec.split(/[=<>@]/)[0] as string, requested: undefined }) };
}
