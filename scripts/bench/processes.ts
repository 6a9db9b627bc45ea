/** Starting the benchmark's processes, finding free ports, and reading a process's CPU time and memory from /proc. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

const TICKS_PER_SECOND = 100;

/** Spawns a process and waits for "listening on http://..." on stderr, or for `ready` to resolve. */
export function start(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; url?: string; ready?: () => Promise<boolean> } = {}): Promise<Running> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...options.env } });
  let seen = '';
  child.stderr?.on('data', (chunk: Buffer) => (seen = (seen + chunk.toString()).slice(-20_000)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(killer);
  };
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`${command} ${args.join(' ')} did not become ready within 60 s:\n${seen}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}:\n${seen}`)));
    const poll = async () => {
      const match = /listening on (http:\/\/[\d.:[\]]+)/.exec(seen);
      const url = options.url ?? match?.[1];
      if (url && (!options.ready || (await options.ready().catch(() => false)))) {
        clearTimeout(deadline);
        resolve({ child, url, stderr: () => seen, stop });
        return;
      }
      setTimeout(() => void poll(), 50);
    };
    void poll();
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** User plus system CPU time of one process, in microseconds. */
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
}

/** Resident memory now and at its peak, in MiB. */
export function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}
