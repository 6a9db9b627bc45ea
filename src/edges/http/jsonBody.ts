/**
 * Reads a POST body as JSON within the size limit. A body over the limit gets 413 at once; the
 * rest of it is discarded unread, so that the client, still sending, gets to read the answer.
 * A body that is not JSON gets 400 with -32700.
 */
import { readRequestBody } from '@modelcontextprotocol/server';
import { httpError } from './httpError.js';

export type JsonBody = { ok: true; value: unknown } | { ok: false; response: Response };

export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonBody> {
  const body = await readRequestBody(request, maxBytes);
  if (body.tooLarge) {
    return {
      ok: false,
      response: httpError('BASTION_BODY_TOO_LARGE', `Request body too large: the limit is ${maxBytes} bytes (serve.maxBodyBytes)`),
    };
  }
  try {
    return { ok: true, value: JSON.parse(body.text) };
  } catch (error) {
    return { ok: false, response: httpError('BASTION_PARSE_ERROR', `Parse error: the request body is not valid JSON (${(error as Error).message})`, { status: 400 }) };
  }
}
