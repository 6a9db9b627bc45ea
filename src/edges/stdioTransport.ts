/**
 * The client-facing stdio transport: newline-delimited JSON-RPC on stdin and stdout. Unlike the
 * SDK's, it answers bad input instead of dropping it: a line that is not JSON gets a parse error
 * (-32700), JSON that is not a JSON-RPC message gets an invalid-request error (-32600), and the
 * gateway keeps serving. Nothing but protocol messages is ever written to stdout.
 */
import type { Readable, Writable } from 'node:stream';
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  STDIO_DEFAULT_MAX_BUFFER_SIZE,
  type JSONRPCMessage,
  type Transport,
} from '@modelcontextprotocol/server';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors/catalogue.js';

export class StdioEdgeTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private pending = '';
  private discarding = false;
  private closed = false;
  private signalEnded!: () => void;
  /** Resolves when the transport closes (the client closed stdin), whoever holds `onclose`. */
  readonly ended = new Promise<void>((resolve) => (this.signalEnded = resolve));

  constructor(
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
    private readonly maxLineBytes = STDIO_DEFAULT_MAX_BUFFER_SIZE,
  ) {}

  async start(): Promise<void> {
    this.input.setEncoding('utf8');
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('close', this.onEnd);
    this.input.on('error', (error: Error) => this.onerror?.(error));
    this.output.on('error', (error: Error) => {
      this.onerror?.(error);
      void this.close();
    });
  }

  private readonly onData = (chunk: string): void => {
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, newline);
      start = newline + 1;
      if (this.discarding) {
        this.discarding = false;
        this.pending = '';
        continue;
      }
      const line = this.pending + piece;
      this.pending = '';
      this.handleLine(line);
    }
    if (this.discarding) return;
    this.pending += chunk.slice(start);
    if (this.pending.length > this.maxLineBytes) {
      // Drop the rest of an oversized message rather than buffering without bound.
      this.pending = '';
      this.discarding = true;
      this.reply(null, 'BASTION_INVALID_REQUEST', `Invalid Request: message larger than ${this.maxLineBytes} bytes`);
    }
  };

  private readonly onEnd = (): void => {
    void this.close();
  };

  private handleLine(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      this.reply(null, 'BASTION_PARSE_ERROR', `Parse error: ${(error as Error).message}`);
      return;
    }
    if (Array.isArray(value)) {
      this.reply(null, 'BASTION_INVALID_REQUEST', 'Invalid Request: JSON-RPC batches are not supported by this protocol version');
      return;
    }
    if (isJSONRPCRequest(value) || isJSONRPCNotification(value) || isJSONRPCResultResponse(value) || isJSONRPCErrorResponse(value)) {
      this.onmessage?.(value);
      return;
    }
    const id = (value as { id?: unknown } | null)?.id;
    this.reply(typeof id === 'string' || typeof id === 'number' ? id : null, 'BASTION_INVALID_REQUEST', 'Invalid Request: not a JSON-RPC 2.0 request, notification or response');
  }

  private reply(id: string | number | null, code: ErrorCode, message: string): void {
    this.write({ jsonrpc: '2.0', id, error: { code: ERROR_CATALOGUE[code].jsonRpc, message, data: { code } } }).catch(() => undefined);
  }

  private write(message: unknown): Promise<void> {
    if (this.closed) return Promise.reject(new Error('stdio transport is closed'));
    return new Promise((resolve, reject) => {
      const ok = this.output.write(`${JSON.stringify(message)}\n`, (error) => (error ? reject(error) : undefined));
      if (ok) resolve();
      else this.output.once('drain', resolve);
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('close', this.onEnd);
    this.input.pause();
    this.onclose?.();
    this.signalEnded();
  }
}
