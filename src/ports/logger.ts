/** Structured log sink. Implementations must never print secrets; callers never pass tokens or passwords. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
export const Logger = Symbol.for('Logger');
