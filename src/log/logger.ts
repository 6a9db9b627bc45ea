/**
 * Structured logs (pino), one event per line, always to stderr: stdout belongs to the MCP
 * protocol when Bastion runs over stdio. Never log config values, headers or environments whole:
 * they hold secrets. As a second net, every logged value and message passes the audit log's
 * redactor, so that a secret that reaches a log line anyway (an upstream's stderr, an error
 * message quoting arguments) is masked.
 */
import { pino, type Logger } from 'pino';
import { BUILT_IN_REDACTOR, type Redactor } from '../audit/redact.js';

export type { Logger };

export function createLogger(level: string = process.env.BASTION_LOG_LEVEL ?? 'info', redactor: Redactor = BUILT_IN_REDACTOR): Logger {
  return pino(
    {
      name: 'bastion',
      level,
      base: { pid: process.pid },
      redact: {
        paths: ['headers', '*.headers', 'env', '*.env', '*.authorization', '*.Authorization', '*.token', '*.password'],
        censor: '[redacted]',
      },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => redactArg(arg, redactor)) as Parameters<typeof method>);
        },
      },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}

function redactArg(arg: unknown, redactor: Redactor): unknown {
  if (typeof arg === 'string') return redactor.text(arg);
  if (arg instanceof Error) return redactError(arg, redactor);
  if (arg === null || typeof arg !== 'object') return arg;
  const value = redactor.value(arg) as Record<string, unknown>;
  for (const key of ['err', 'error']) {
    if (value[key] instanceof Error) return { ...value, [key]: redactError(value[key], redactor) };
  }
  return value;
}

function redactError(error: Error, redactor: Redactor): Record<string, unknown> {
  return { type: error.name, message: redactor.text(error.message), stack: error.stack === undefined ? undefined : redactor.text(error.stack) };
}
