/**
 * Reads a POST body as JSON within the size limit. A body over the limit gets 413 (and the
 * connection is closed rather than drained); a body that is not JSON gets 400 with -32700.
 */
import { readRequestBody } from '@modelcontextprotocol/server';
import { httpError } from './httpError.js';

export type JsonBody = { ok: true; value: unknown } | { ok: false; response: Response };

export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonBody> {
  const body = await readRequestBody(request, maxBytes);
  if (body.tooLarge) {
    return {
      ok: false,
      response: httpError('BASTION_BODY_TOO_LARGE', `Request body too large: the limit is ${maxBytes} bytes (serve.maxBodyBytes)`, {
        headers: { connection: 'close' },
      }),
    };
  }
  try {
    return { ok: true, value: JSON.parse(body.text) };
  } catch (error) {
    return { ok: false, response: httpError('BASTION_PARSE_ERROR', `Parse error: the request body is not valid JSON (${(error as Error).message})`, { status: 400 }) };
  }
}
