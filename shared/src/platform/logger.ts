/**
 * The process logger of the edge and of the cloud: JSON lines on stdout
 * (systemd collects them), with one redaction for both (redact.ts): secret
 * keys censored at any depth, strings scrubbed of URL credentials, tokens and
 * full ID numbers, in the message as well as in the fields.
 */
import { pino, type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { LOG_CENSOR, LOG_REDACT_PATHS, scrubLogValue, scrubText } from './redact.ts';

export interface LogOptions {
  level?: string;
  /** Where JSON lines go; stdout by default. */
  destination?: DestinationStream;
}

/** A request in a log line: method, path and address; the query string may carry a token (Open311's api_key). */
function requestSerializer(req: unknown): unknown {
  if (req === null || typeof req !== 'object' || !('method' in req) || !('url' in req)) return req;
  const r = req as { method: unknown; url: unknown; ip?: unknown };
  return { method: r.method, path: typeof r.url === 'string' ? r.url.split('?')[0] : r.url, ip: r.ip };
}

/** The options both processes build their pino logger with. */
function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: [...LOG_REDACT_PATHS], censor: LOG_CENSOR },
    base: { pid: process.pid },
    serializers: { req: requestSerializer },
    formatters: { log: (obj) => scrubLogValue(obj) as Record<string, unknown> },
    hooks: {
      // The message and its printf arguments: an ffmpeg line or an error text may quote a URL with credentials.
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrubText(a) : a)) as Parameters<typeof method>);
      },
    },
  };
}

export function createLogger(opts: LogOptions = {}): Logger {
  const options = loggerOptions(opts.level ?? process.env.CUNBOX_LOG_LEVEL ?? 'info');
  return scrubChildBindings(opts.destination ? pino(options, opts.destination) : pino(options));
}

/**
 * A child's bindings are scrubbed too (a part may get a child logger named by a
 * camera URL). pino applies `formatters.bindings` to the root's alone, but a
 * child is made with Object.create(parent), so every descendant inherits this.
 */
function scrubChildBindings(root: Logger): Logger {
  const child = root.child;
  root.child = function (this: Logger, bindings: Bindings, options?: ChildLoggerOptions): unknown {
    return Reflect.apply(child, this, [scrubLogValue(bindings), options]);
  } as unknown as Logger['child'];
  return root;
}

/** A logger that drops everything; for tests and CLI commands that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
