/**
 * Structured logs with pino: JSON lines in production, readable lines (pino-pretty, in process, no
 * worker thread) in development, nothing in tests unless LOG_LEVEL asks. Every line carries the
 * request id, organization and operator of the work it belongs to when known (`logContext`, an
 * AsyncLocalStorage entered per HTTP request by app.ts and filled in once the caller is known).
 *
 * Secrets never reach a line: fields named like secrets are redacted (`REDACT_PATHS`), and the
 * written line is scrubbed of credentials in URLs, bearer tokens, API keys, operator tokens and
 * webhook secrets (scrub-secrets.ts). Modules log through `log`, which always uses the logger
 * configured last (`configureLogging`, called by createApp), silent until then.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import { scrubSecrets } from './scrub-secrets.js';

export interface LogContext {
  requestId?: string;
  organizationId?: string;
  operatorId?: string;
}

/** The context of the work in progress; app.ts enters one per HTTP request. */
export const logContext = new AsyncLocalStorage<LogContext>();

/** Field names whose values are secrets, at the top level and one or two levels down. */
const SECRET_FIELDS = [
  'authorization',
  'apiKey',
  'apiToken',
  'token',
  'secret',
  'webhookSecret',
  'password',
  'pass',
  'smtpUrl',
  'tokenSecret',
];
export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

export interface LoggingOptions {
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /** Readable lines instead of JSON. */
  pretty: boolean;
  /** Where lines go (tests capture them); default standard output. */
  stream?: DestinationStream;
}

let root: Logger = pino({ level: 'silent' });

export function createLogger(options: LoggingOptions): Logger {
  const destination = options.stream ?? (options.pretty ? pretty({ colorize: process.stdout.isTTY, sync: true }) : pino.destination(1));
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      mixin: () => {
        const context = logContext.getStore();
        if (!context) return {};
        const fields: LogContext = {};
        if (context.requestId) fields.requestId = context.requestId;
        if (context.organizationId) fields.organizationId = context.organizationId;
        if (context.operatorId) fields.operatorId = context.operatorId;
        return fields;
      },
      hooks: { streamWrite: scrubSecrets },
    },
    destination,
  );
}

/** Makes `log` write with these options from now on. */
export function configureLogging(options: LoggingOptions): Logger {
  root = createLogger(options);
  return root;
}

type LogFn = (fieldsOrMessage: object | string, message?: string) => void;
const at =
  (level: 'debug' | 'info' | 'warn' | 'error'): LogFn =>
  (fieldsOrMessage, message) =>
    typeof fieldsOrMessage === 'string' ? root[level](fieldsOrMessage) : root[level](fieldsOrMessage, message);

/** The service's log: `log.warn({ deliveryId, err }, 'delivery dead')`. */
export const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
