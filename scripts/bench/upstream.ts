/**
 * The benchmark's upstream: the smallest MCP server that does real protocol work, with one tool,
 * `echo`, that returns its `text` argument. Over stdio, or over Streamable HTTP (stateful
 * sessions, JSON responses) where it prints "listening on http://127.0.0.1:PORT" when ready.
 *   node dist/scripts/bench/upstream.js stdio
 *   node dist/scripts/bench/upstream.js http [--port N]
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { Server } from '@modelcontextprotocol/server';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';

function benchServer(): Server {
  const server = new Server({ name: 'bench-upstream', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', async () => ({
    tools: [
      {
        name: 'echo',
        description: 'Returns its text argument',
        inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
        annotations: { readOnlyHint: true },
      },
    ],
  }));
  server.setRequestHandler('tools/call', async (request) => ({
    content: [{ type: 'text', text: String((request.params.arguments as { text?: unknown } | undefined)?.text ?? '') }],
  }));
  return server;
}

const [mode = 'stdio', ...rest] = process.argv.slice(2);
const portFlag = rest.indexOf('--port');
const port = portFlag >= 0 ? Number(rest[portFlag + 1]) : 0;

if (mode === 'stdio') {
  await benchServer().connect(new StdioServerTransport());
} else {
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const http = createServer(async (req, res) => {
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (existing) return existing.handleRequest(req, res);
    if (typeof sessionId === 'string' || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => void sessions.set(id, transport),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    await benchServer().connect(transport);
    await transport.handleRequest(req, res);
  });
  http.keepAliveTimeout = 60_000;
  http.listen(port, '127.0.0.1', () => {
    const address = http.address();
    process.stderr.write(`bench upstream listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}\n`);
  });
}
