/**
 * A log method in pino's shape: a message, or an object of fields followed by a message.
 */
export interface LogMethod {
  /** Logs a plain message. */
  (message: string): void;
  /** Logs structured fields with an optional message. Never put secrets in fields. */
  (fields: object, message?: string): void;
}

/**
 * The logger Cairn libraries write to. A pino logger satisfies it as is; libraries default to
 * {@link silentLogger} so nothing is printed unless the application asks for it.
 */
export interface Logger {
  /** Detail for diagnosing Cairn itself. */
  debug: LogMethod;
  /** Normal milestones (a run started, a checkpoint committed). */
  info: LogMethod;
  /** Something was wrong but handled (a copy repaired, a retry scheduled). */
  warn: LogMethod;
  /** Something failed. */
  error: LogMethod;
  /** A logger that adds `bindings` to every entry (e.g. `{ backend: 's3' }`). */
  child(bindings: Record<string, unknown>): Logger;
}

const ignore: LogMethod = () => {};

/** A logger that discards everything: the default for every library entry point. */
export const silentLogger: Logger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => silentLogger,
};
