/** Replaces a file whole or not at all: written beside it under a temporary name, then renamed over it. */
import { renameSync, writeFileSync } from 'node:fs';

export function writeFileAtomicSync(file: string, text: string, mode = 0o600): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, file);
}
