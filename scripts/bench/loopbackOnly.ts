/**
 * Preloaded (`node --import`) into the peer proxies the benchmark runs that have no option to
 * choose their address: a server that would listen on every interface listens on 127.0.0.1 only,
 * so that the benchmark stays on loopback.
 */
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(this: net.Server, ...args: unknown[]) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) args.splice(1, 0, '127.0.0.1');
  return (listen as (...rest: unknown[]) => net.Server).apply(this, args);
} as typeof net.Server.prototype.listen;
