/**
 * The benchmark's load generator, run in its own process so that it does not take CPU from the
 * servers it measures: autocannon, one instance per MCP session (each session already
 * initialized; for a 2026-07-28 target, one per connection group, sessionless), `tools/call echo`
 * with a fresh JSON-RPC id per request. Every response's latency is
 * kept, so that percentiles are exact across instances. Prints one JSON line: throughput,
 * latency percentiles, failures, and the load generator's own CPU time.
 *   node dist/scripts/bench/load.js '<json LoadSpec>'
 */
import autocannon from 'autocannon';
import { callRequest } from './session.js';

export interface LoadSpec {
  readonly url: string;
  readonly sessions: ReadonlyArray<{ readonly id: string; readonly protocolVersion: string }>;
  readonly connections: number;
  readonly durationSec: number;
  readonly tool: string;
}

export interface LoadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly failures: number;
  readonly loadCpuUsPerRequest: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const latencies: number[] = [];
let failures = 0;
let nextId = 1;
const cpuBefore = process.cpuUsage();
const started = performance.now();

const perSession = Math.max(1, Math.round(spec.connections / spec.sessions.length));
const runs = spec.sessions.slice(0, Math.min(spec.sessions.length, spec.connections)).map(
  (session) =>
    new Promise<void>((resolve, reject) => {
      const instance = autocannon(
        {
          url: spec.url,
          connections: perSession,
          pipelining: 1,
          duration: spec.durationSec,
          timeout: 30,
          headers: callRequest(session, spec.tool, 0).headers,
          requests: [
            {
              method: 'POST',
              setupRequest: (request) => ({ ...request, body: callRequest(session, spec.tool, nextId++).body }),
            },
          ],
        },
        (error: Error | null) => (error ? reject(error) : resolve()),
      );
      instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
        if (status === 200) latencies.push(responseTime);
        else failures++;
      });
      instance.on('reqError', () => failures++);
    }),
);
await Promise.all(runs);
const elapsedSec = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
latencies.sort((a, b) => a - b);
const at = (share: number) => latencies[Math.min(latencies.length - 1, Math.floor(share * latencies.length))] ?? Number.NaN;
const result: LoadResult = {
  requests: latencies.length,
  rps: latencies.length / elapsedSec,
  p50: at(0.5),
  p90: at(0.9),
  p99: at(0.99),
  failures,
  loadCpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, latencies.length),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
