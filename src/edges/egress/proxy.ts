/**
 * The egress proxy of a sandboxed server whose config lists `network.allowedDomains`. The server
 * has no network of its own; inside its sandbox, a bridge (src/sandbox/bridge.ts) relays
 * 127.0.0.1:3128 to this proxy's unix socket, outside. The proxy speaks HTTP proxying (CONNECT for
 * TLS, absolute-URI requests for plain HTTP) and lets a connection through only when the host is
 * listed and every address it resolves to is public: private, loopback, link-local (cloud
 * metadata) and reserved addresses are refused, so that a listed name pointed at an internal
 * address reaches nothing. Refusals answer 403 and are logged.
 */
import { lookup } from 'node:dns/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../log/logger.js';
import { isPublicAddress } from '../../policy/publicAddress.js';
import { UNPRIVILEGED_UID } from '../../sandbox/profile.js';


export interface EgressProxy {
  /** The unix socket the sandbox's bridge connects to. */
  readonly socketPath: string;
  close(): Promise<void>;
}

function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return allowed.some((pattern) => (pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1 : name === pattern));
}

/** The address to connect to, or why not. */
async function resolveAllowed(host: string, allowed: readonly string[]): Promise<{ address: string } | { refused: string; status: number }> {
  if (!hostAllowed(host, allowed)) return { refused: `${host} is not in network.allowedDomains`, status: 403 };
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch (error) {
    return { refused: `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, status: 502 };
  }
  const internal = addresses.find((address) => !isPublicAddress(address));
  if (internal) return { refused: `${host} resolves to ${internal}, which is not a public address`, status: 403 };
  return { address: addresses[0] as string };
}

/** Starts listening at once; the socket is there before the sandboxed server can make its first request. */
export function startEgressProxy(server: string, allowedDomains: readonly string[], log: Logger): EgressProxy {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-egress-'));
  chmodSync(dir, 0o700);
  // A sandbox started by root runs as nobody (src/sandbox/launch.ts), and must reach the socket.
  if (process.geteuid?.() === 0) chownSync(dir, UNPRIVILEGED_UID, UNPRIVILEGED_UID);
  const socketPath = join(dir, 'proxy.sock');
  const refuse = (host: string, why: string) => log.warn({ server, host, why }, 'sandbox egress refused');

  const proxy: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('the egress proxy takes absolute http:// URLs and CONNECT\n');
      return;
    }
    if (target.protocol !== 'http:') {
      res.writeHead(400).end('use CONNECT for https\n');
      return;
    }
    const verdict = await resolveAllowed(target.hostname, allowedDomains);
    if ('refused' in verdict) {
      refuse(target.hostname, verdict.refused);
      res.writeHead(verdict.status, { 'content-type': 'text/plain' }).end(`Bastion sandbox: ${verdict.refused}\n`);
      return;
    }
    const upstream = httpRequest(
      { host: verdict.address, port: Number(target.port) || 80, method: req.method, path: `${target.pathname}${target.search}`, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502).end(`Bastion sandbox: ${error.message}\n`);
      else res.destroy();
    });
    req.pipe(upstream);
  });

  proxy.on('connect', async (req: IncomingMessage, client: Duplex, head: Buffer) => {
    let host = '';
    let port = 443;
    try {
      const parsed = new URL(`http://${req.url ?? ''}`);
      host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
      port = Number(parsed.port) || 443;
    } catch {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const verdict = await resolveAllowed(host, allowedDomains);
    if ('refused' in verdict) {
      refuse(host, verdict.refused);
      client.end(`HTTP/1.1 ${verdict.status} Refused\r\ncontent-type: text/plain\r\n\r\nBastion sandbox: ${verdict.refused}\n`);
      return;
    }
    const upstream: Socket = connect(port, verdict.address, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (error) => client.end(`HTTP/1.1 502 Bad Gateway\r\n\r\nBastion sandbox: ${error.message}\n`));
    client.on('error', () => upstream.destroy());
  });

  proxy.on('error', (error) => log.error({ server, error: error.message }, 'sandbox egress proxy failed; the server has no network'));
  proxy.listen({ path: socketPath, readableAll: true, writableAll: true });
  return {
    socketPath,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const proxies = new Map<string, EgressProxy>();

/** The egress proxy of a server (one per server and allowlist), started on first use and removed when Bastion exits. */
export function egressSocketFor(server: string, allowedDomains: readonly string[], log: Logger): string {
  const key = `${server}\n${allowedDomains.join(',')}`;
  let proxy = proxies.get(key);
  if (!proxy) {
    proxy = startEgressProxy(server, allowedDomains, log);
    proxies.set(key, proxy);
    if (proxies.size === 1) process.once('exit', () => proxies.forEach((entry) => rmSync(dirname(entry.socketPath), { recursive: true, force: true })));
  }
  return proxy.socketPath;
}
