import { activeTrace } from './telemetry';

/**
 * Structured logging: one JSON object per line, with the correlation id on every line written in
 * a request's or message's scope, and the active span's `traceId` (Application Insights' operation
 * id) and `spanId` when telemetry is on (./telemetry.ts). With Application Insights configured the
 * lines go out as OpenTelemetry log records (`setLogEmitter`), which the SDK stamps with the same
 * span; otherwise to stdout.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line also carries these fields (for example `correlationId`). */
  child(fields: Record<string, unknown>): Logger;
}

export type LogSink = (line: string, level: LogLevel) => void;

const defaultSink: LogSink = (line, level) => {
  if (level === 'error' || level === 'warn') process.stderr.write(line + '\n');
  else process.stdout.write(line + '\n');
};

/** Replaces stdout for every logger with the default sink: set once telemetry exports logs. */
let emitter: ((level: LogLevel, msg: string, fields: Record<string, unknown>) => void) | undefined;
export function setLogEmitter(emit: typeof emitter): void {
  emitter = emit;
}

export function createLogger(opts: { level?: LogLevel; sink?: LogSink; fields?: Record<string, unknown> } = {}): Logger {
  const min = order[opts.level ?? 'info'];
  const sink = opts.sink;
  const base = opts.fields ?? {};
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < min) return;
    if (!sink && emitter) return emitter(level, msg, { ...base, ...fields });
    const span = activeTrace();
    const line = JSON.stringify(
      {
        time: new Date().toISOString(),
        level,
        msg,
        ...(span ? { traceId: span.traceId, spanId: span.spanId } : {}),
        ...base,
        ...fields,
      },
      errorReplacer,
    );
    (sink ?? defaultSink)(line, level);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ level: opts.level, ...(sink ? { sink } : {}), fields: { ...base, ...fields } }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/** Discards everything: for tests that do not look at logs. */
export const silentLogger: Logger = createLogger({ sink: () => undefined });
