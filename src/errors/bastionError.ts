/**
 * A local error with a stable code from the catalogue. Stages and upstream connectors throw it;
 * only the edges turn it into a wire error, using the catalogue's JSON-RPC code.
 */
import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';

export class BastionError extends Error {
  override readonly name = 'BastionError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  get jsonRpcCode(): number {
    return ERROR_CATALOGUE[this.code].jsonRpc;
  }

  /** The `data` member of the JSON-RPC error: the stable code first, then what helps a human. */
  toWireData(): Record<string, unknown> {
    return { code: this.code, ...this.details };
  }
}
