/**
 * What the sandbox adds to a server's start: the time from spawning the benchmark's stdio
 * upstream to its answer to initialize, with the sandbox off and on (bubblewrap, the default
 * profile), median of seven starts each.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { StdioServerSpec } from '../../src/config/compile.js';
import { launchPlan } from '../../src/sandbox/launch.js';
import { compileSandbox } from '../../src/sandbox/profile.js';

async function startMs(spec: StdioServerSpec): Promise<number> {
  const plan = launchPlan(spec);
  const started = performance.now();
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: plan.command, args: [...plan.args], env: plan.env, stderr: 'ignore' }));
  const elapsed = performance.now() - started;
  await client.close();
  return elapsed;
}

export async function sandboxStartup(upstream: string): Promise<{ unsandboxedMs: number; sandboxedMs: number }> {
  const spec = (sandboxed: boolean): StdioServerSpec => ({
    name: 'bench', transport: 'stdio', command: process.execPath, args: [upstream, 'stdio'], env: {}, cwd: undefined,
    sandbox: sandboxed ? compileSandbox(undefined, process.cwd()) : false,
    timeoutMs: 60_000, startupTimeoutMs: 60_000, sharing: 'per-session', prefix: false, toolSnapshot: '',
  });
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const off: number[] = [];
  const on: number[] = [];
  for (let run = 0; run < 7; run++) {
    off.push(await startMs(spec(false)));
    on.push(await startMs(spec(true)));
  }
  return { unsandboxedMs: median(off), sandboxedMs: median(on) };
}
