/**
 * How a local (stdio) server is launched. This folder is the only place that decides what a
 * child process gets: its command, arguments, working directory and environment. The environment
 * is built from an allowlist plus what the server's config declares, never the gateway's own
 * environment wholesale, so that Bastion's secrets do not leak into servers by accident.
 * The OS sandbox (bubblewrap, sandbox-exec) will wrap the command here.
 */
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { StdioServerSpec } from '../config/compile.js';

/** Variables a typical server needs to find its runtime and locale, beyond the SDK's default set. */
const EXTRA_INHERITED = ['LANG', 'LC_ALL', 'TMPDIR', 'NODE_EXTRA_CA_CERTS', 'SystemRoot', 'APPDATA', 'LOCALAPPDATA'];

export function launchEnvironment(spec: StdioServerSpec, parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { ...getDefaultEnvironment() };
  for (const name of EXTRA_INHERITED) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...spec.env };
}

/** Creates the transport that starts the server; its stderr is piped so the gateway can log it. */
export function createStdioTransport(spec: StdioServerSpec): StdioClientTransport {
  return new StdioClientTransport({
    command: spec.command,
    args: [...spec.args],
    env: launchEnvironment(spec),
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    stderr: 'pipe',
  });
}
