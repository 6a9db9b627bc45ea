/**
 * The JSON-RPC error body the HTTP edge answers with when it stops a request itself, before any
 * JSON-RPC exchange: the catalogue gives the wire code and the HTTP status. The request's id is
 * kept where the edge has read it.
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../../errors/catalogue.js';

export function httpError(
  code: ErrorCode,
  message: string,
  options: { status?: number; headers?: Record<string, string>; id?: string | number | null } = {},
): Response {
  const entry: { jsonRpc: number; http?: number } = ERROR_CATALOGUE[code];
  const body = { jsonrpc: '2.0', error: { code: entry.jsonRpc, message, data: { code } }, id: options.id ?? null };
  return new Response(JSON.stringify(body), {
    status: options.status ?? entry.http ?? 400,
    headers: { 'content-type': 'application/json', ...options.headers },
  });
}
