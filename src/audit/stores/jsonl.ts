/**
 * The JSON-lines store: one record per line, `{...record, "hash": "..."}`, appended to a file that
 * log shippers can follow. One Bastion process writes a file at a time (a lock file next to it
 * says which); use SQLite or PostgreSQL for several. A batch is one write(2), done before append
 * resolves; with durability "os" it is also fdatasynced.
 */
import { createReadStream, mkdirSync, openSync, readFileSync, closeSync, readSync, fstatSync, ftruncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import canonicalize from 'canonicalize';
import { seal, EMPTY_HEAD, type ChainHead, type StoredRow } from '../chain.js';
import { indexColumns, type AuditEvent, type SealedRecord } from '../record.js';
import { AuditStoreError, type AuditQuery, type AuditStore } from '../store.js';

export class JsonlStore implements AuditStore {
  readonly location: string;
  private handle: FileHandle | undefined;
  private head: ChainHead = EMPTY_HEAD;
  private lockFile: string | undefined;

  private constructor(
    private readonly path: string,
    private readonly durability: 'process' | 'os',
  ) {
    this.location = `jsonl ${path}`;
  }

  /** Opens the file for appending, taking the writer's lock; `readonly` opens it for reading only. */
  static async open(path: string, options: { durability: 'process' | 'os'; readonly?: boolean }): Promise<JsonlStore> {
    const store = new JsonlStore(path, options.durability);
    if (options.readonly) {
      try {
        closeSync(openSync(path, 'r'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AuditStoreError(`no audit log at ${path} yet: Bastion creates it when it first starts with this config`);
        throw new AuditStoreError(`cannot open the audit store ${path}: ${(error as Error).message}`);
      }
      return store;
    }
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      store.lock();
      store.head = recoverHead(path);
      store.handle = await open(path, 'a', 0o600);
    } catch (error) {
      store.unlock();
      if (error instanceof AuditStoreError) throw error;
      throw new AuditStoreError(`cannot open the audit store ${path}: ${(error as Error).message}`);
    }
    return store;
  }

  private lock(): void {
    const lockFile = `${this.path}.lock`;
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lockFile, 'utf8'));
      if (holder && holder !== process.pid && alive(holder)) {
        throw new AuditStoreError(`the audit file ${this.path} is written by another Bastion (pid ${holder}); give each its own file, or use the sqlite or postgres store`);
      }
      writeFileSync(lockFile, String(process.pid), { mode: 0o600 });
    }
    this.lockFile = lockFile;
  }

  private unlock(): void {
    if (!this.lockFile) return;
    try {
      unlinkSync(this.lockFile);
    } catch {
      // already gone
    }
    this.lockFile = undefined;
  }

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (!this.handle) throw new AuditStoreError(`${this.location} is open for reading only`);
    const sealed = seal(this.head, events);
    const text = sealed.map((entry) => `${entry.canonical.slice(0, -1)},"hash":"${entry.hash}"}\n`).join('');
    await this.handle.write(text);
    if (this.durability === 'os') await this.handle.datasync();
    const last = sealed[sealed.length - 1];
    if (last) this.head = { seq: last.record.seq, hash: last.hash };
  }

  async *query(filter: AuditQuery): AsyncIterable<StoredRow> {
    const matching: StoredRow[] = [];
    const lines = createInterface({ input: createReadStream(this.path, { encoding: 'utf8' }), crlfDelay: Infinity });
    let position = 0;
    for await (const line of lines) {
      if (!line) continue;
      const row = rowOf(line, ++position);
      if (!matches(row, filter)) continue;
      if (filter.last === undefined) yield row;
      else {
        matching.push(row);
        if (matching.length > filter.last) matching.shift();
      }
    }
    yield* matching;
  }

  async close(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    this.unlock();
  }
}

/**
 * A line as a row: the hash is taken out and the rest canonicalized, as it was when hashed. Its
 * place in the file stands for the sequence column of the database stores, so that verify
 * checks each record against where it is.
 */
function rowOf(line: string, position: number): StoredRow {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { seq: position, time: '', kind: '', server: null, tool: null, decision: null, canonical: line, hash: '' };
  }
  const { hash, ...record } = parsed;
  const columns = indexColumns(record as unknown as SealedRecord);
  return { seq: position, ...columns, canonical: canonicalize(record) as string, hash: String(hash) };
}

function matches(row: StoredRow, filter: AuditQuery): boolean {
  if (filter.since && !(Date.parse(row.time) >= filter.since.getTime())) return false;
  if (filter.server && row.server !== filter.server) return false;
  if (filter.tool && row.tool !== filter.tool) return false;
  if (filter.decision && row.decision !== filter.decision) return false;
  if (filter.kind && row.kind !== filter.kind) return false;
  if (filter.afterSeq !== undefined && !(row.seq > filter.afterSeq)) return false;
  return true;
}

/**
 * Reads the last complete line for the chain's head. A line cut short (the machine stopped
 * mid-write) was never acknowledged: it is cut off, so that the chain goes on from the last whole record.
 */
function recoverHead(path: string): ChainHead {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_HEAD;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return EMPTY_HEAD;
    const chunk = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, chunk, 0, chunk.length, size - chunk.length);
    let end = chunk.length;
    if (chunk[end - 1] !== 0x0a) {
      end = chunk.lastIndexOf(0x0a) + 1;
      ftruncateSync(fd, size - (chunk.length - end));
    }
    const text = chunk.subarray(0, end).toString('utf8');
    const lines = text.trimEnd().split('\n');
    const last = lines[lines.length - 1];
    if (!last) return EMPTY_HEAD;
    const row = rowOf(last, 0);
    const seq = Number((JSON.parse(row.canonical) as { seq?: unknown }).seq);
    if (!Number.isInteger(seq) || !row.hash) throw new AuditStoreError(`the last line of ${path} is not an audit record; run bastion audit verify`);
    return { seq, hash: row.hash };
  } finally {
    closeSync(fd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
