/**
 * Starts Bastion as a user would (`node dist/src/cli/main.js run --config FILE`) and connects the
 * official SDK client to it over stdio.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type ClientCapabilities } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { stringify } from 'yaml';
import { BASTION_BIN, REPO_ROOT } from './paths.js';

export interface Started {
  client: Client;
  /** Every message Bastion wrote to the client, recorded before the SDK dispatches it. */
  wire: Array<Record<string, unknown>>;
  transport: StdioClientTransport;
  stderr: () => string;
  /** Bastion's data directory (BASTION_DATA_DIR), unless the config names its own. */
  dataDir: string;
  close: () => Promise<void>;
}

/** A policy that allows every call: for the tests of transport and forwarding, which are not about policy. */
export const ALLOW_ALL = { defaults: { read: 'allow', write: 'allow', execute: 'allow', unknown: 'allow' } } as const;

export function writeConfig(config: unknown, name = 'bastion.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-test-'));
  const file = join(dir, name);
  writeFileSync(file, name.endsWith('.json') ? JSON.stringify(config, null, 2) : stringify(config));
  return file;
}

export async function startBastion(
  configFile: string,
  options: { capabilities?: ClientCapabilities; env?: Record<string, string>; setup?: (client: Client) => void } = {},
): Promise<Started> {
  const dataDir = options.env?.BASTION_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'bastion-data-'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BASTION_BIN, 'run', '--config', configFile],
    cwd: REPO_ROOT,
    env: { ...(process.env as Record<string, string>), BASTION_LOG_LEVEL: 'debug', ...options.env, BASTION_DATA_DIR: dataDir },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const wire: Array<Record<string, unknown>> = [];
  transport.onmessage = (message) => void wire.push(message as Record<string, unknown>);
  const client = new Client({ name: 'bastion-test', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  options.setup?.(client);
  await client.connect(transport);
  return { client, wire, transport, stderr: () => stderr, dataDir, close: () => client.close() };
}
