/**
 * Turns whatever a stage or upstream threw into the JSON-RPC error an edge sends. Upstream
 * protocol errors keep their code, message and data; Bastion's own carry their stable code in
 * `data.code`; anything unexpected becomes an internal error without internals in the message.
 */
import { ProtocolError } from '@modelcontextprotocol/server';
import { BastionError } from './bastionError.js';
import { ERROR_CATALOGUE } from './catalogue.js';
import type { Denial } from '../pipeline/context.js';

export function denialToWire(denial: Denial): ProtocolError {
  return new ProtocolError(ERROR_CATALOGUE[denial.code].jsonRpc, denial.detail, {
    code: denial.code,
    ...(denial.rule ? { rule: denial.rule } : {}),
  });
}

/** A refused tool call as a tool result: the message for the model, the code for programs. */
export function denialToToolResult(denial: Denial): Record<string, unknown> {
  return {
    content: [{ type: 'text', text: denial.detail }],
    isError: true,
    _meta: { 'bastion/denial': { code: denial.code, ...(denial.rule ? { rule: denial.rule } : {}) } },
  };
}

export function errorToWire(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (error instanceof BastionError) return new ProtocolError(error.jsonRpcCode, error.message, error.toWireData());
  return new ProtocolError(ERROR_CATALOGUE.BASTION_INTERNAL.jsonRpc, 'Internal error in Bastion; the request was not completed', {
    code: 'BASTION_INTERNAL',
  });
}
