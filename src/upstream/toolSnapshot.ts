/**
 * The last tool list each server gave, saved under the data directory, so that commands that start
 * no servers (`bastion check`) still know the tools' descriptions, schemas and annotations.
 * Written atomically (temporary file, then rename); a failure to write is logged, not fatal.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function saveToolSnapshot(file: string, server: string, tools: readonly unknown[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ server, savedAt: new Date().toISOString(), tools }, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

export async function loadToolSnapshot(file: string): Promise<Array<Record<string, unknown>> | undefined> {
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { tools?: unknown };
    return Array.isArray(saved.tools) ? (saved.tools as Array<Record<string, unknown>>) : undefined;
  } catch {
    return undefined;
  }
}
