import { redact, redactText } from "./redact.ts";

/**
 * Levels and what they mean here: `error`, the collector cannot do its job until someone acts; `warn`, a task failed
 * (a content type, a blob) although the process goes on; `info`, normal operation; `debug`, troubleshooting.
 * Self-healing retries are `debug` or `info`, never `warn`.
 */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` (for example the content type). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Where JSON lines go; stderr by default, so that stdout stays free for the stdout sink. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

/** JSON lines: `{"time","level","msg",...fields}`, one per call, every value passed through redaction. */
export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const safe = redact({ ...bound, ...fields }) as Record<string, unknown>;
    write(`${JSON.stringify({ time: now().toISOString(), level, msg: redactText(message), ...safe })}\n`);
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that drops everything: for library callers and tests that assert on other things. */
export const silentLogger: Logger = createLogger({ write: () => undefined });
