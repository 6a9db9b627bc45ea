/**
 * Structured logs (pino), one event per line, always to stderr: stdout belongs to the MCP
 * protocol when Bastion runs over stdio. Never log config values, headers or environments whole:
 * they hold secrets.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = process.env.BASTION_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name: 'bastion',
      level,
      base: { pid: process.pid },
      redact: {
        paths: ['headers', '*.headers', 'env', '*.env', '*.authorization', '*.Authorization', '*.token', '*.password'],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
