import type { Logger } from '../../src/ports/logger.ts';

export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A Logger that keeps every entry in memory for assertions. */
export class CapturingLogger implements Logger {
  readonly entries: LogEntry[] = [];

  info(message: string, fields: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'info', message, fields });
  }
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'error', message, fields });
  }

  /** Entries with this message, in order. */
  withMessage(message: string): LogEntry[] {
    return this.entries.filter((e) => e.message === message);
  }
}
