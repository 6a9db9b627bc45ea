/**
 * Runs inside a sandbox that may reach listed hosts: it relays 127.0.0.1:<port> of the sandbox's
 * own network namespace to the egress proxy's unix socket (bound in from outside), then starts the
 * server with its stdio, and ends with the server's exit status.
 *   node bridge.js <socket> <port> -- <command> [args...]
 */
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

const [socketPath, portText, separator, command, ...args] = process.argv.slice(2);
if (!socketPath || !portText || separator !== '--' || !command) {
  process.stderr.write('usage: bridge.js <socket> <port> -- <command> [args...]\n');
  process.exit(2);
}

const relay = createServer((inside) => {
  const outside = connect(socketPath);
  inside.pipe(outside).on('error', () => inside.destroy());
  outside.pipe(inside).on('error', () => outside.destroy());
  inside.on('error', () => outside.destroy());
  outside.on('error', () => inside.destroy());
});
relay.listen(Number(portText), '127.0.0.1', () => {
  const server = spawn(command, args, { stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => server.kill(signal));
  server.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
  server.on('error', (error) => {
    process.stderr.write(`bridge: cannot start ${command}: ${error.message}\n`);
    process.exit(127);
  });
});
