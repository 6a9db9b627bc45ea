/** Opening MCP sessions over Streamable HTTP for the benchmark, with plain fetch, before anything is timed. */

export interface OpenSession {
  readonly id: string;
  readonly protocolVersion: string;
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** The JSON-RPC message in a response body, whether it came as JSON or as an SSE event. */
function messageOf(body: string): Record<string, unknown> {
  const data = body.trimStart().startsWith('{') ? body : body.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).find((line) => line.startsWith('{'));
  if (!data) throw new Error(`no JSON-RPC message in the response: ${body.slice(0, 200)}`);
  return JSON.parse(data) as Record<string, unknown>;
}

export async function openSession(endpoint: string): Promise<OpenSession> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } } }),
  });
  const id = response.headers.get('mcp-session-id');
  const message = messageOf(await response.text());
  if (!response.ok || !id) throw new Error(`initialize at ${endpoint} failed: ${response.status} ${JSON.stringify(message)}`);
  const protocolVersion = String((message.result as { protocolVersion?: unknown } | undefined)?.protocolVersion);
  const headers = { ...HEADERS, 'mcp-session-id': id, 'mcp-protocol-version': protocolVersion };
  const initialized = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await initialized.text();
  return { id, protocolVersion };
}

/** A 2026-07-28 client has no session: each request says who it is. */
export const STATELESS: OpenSession = { id: '', protocolVersion: '2026-07-28' };

/** The headers and body of one tools/call, in the session's era. */
export function callRequest(session: OpenSession, tool: string, id: number): { headers: Record<string, string>; body: string } {
  const params = { name: tool, arguments: { text: 'hello' } };
  if (session.protocolVersion === STATELESS.protocolVersion) {
    const _meta = {
      'io.modelcontextprotocol/protocolVersion': STATELESS.protocolVersion,
      'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    return {
      headers: { ...HEADERS, 'mcp-protocol-version': STATELESS.protocolVersion, 'mcp-method': 'tools/call', 'mcp-name': tool },
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { ...params, _meta } }),
    };
  }
  return {
    headers: { ...HEADERS, 'mcp-session-id': session.id, 'mcp-protocol-version': session.protocolVersion },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params }),
  };
}

/** One tools/call through a session; resolves with the text it returned, so that a target is checked before it is timed. */
export async function callEcho(endpoint: string, session: OpenSession, tool: string): Promise<string> {
  const response = await fetch(endpoint, { method: 'POST', ...callRequest(session, tool, 1) });
  const message = messageOf(await response.text());
  const content = (message.result as { content?: Array<{ text?: string }> } | undefined)?.content;
  if (!content) throw new Error(`tools/call ${tool} at ${endpoint} failed: ${JSON.stringify(message)}`);
  return content.map((item) => item.text ?? '').join('');
}
