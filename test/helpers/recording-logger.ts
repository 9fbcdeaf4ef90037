import type { LogFields, Logger } from '../../lib/ports/logger.js';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

/** A logger that keeps every entry, with child fields merged, for assertions. */
export class RecordingLogger implements Logger {
  constructor(
    readonly entries: LogEntry[] = [],
    private readonly bound: LogFields = {},
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.record('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.record('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.record('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.record('error', message, fields);
  }
  child(fields: LogFields): Logger {
    return new RecordingLogger(this.entries, { ...this.bound, ...fields });
  }

  find(message: string | RegExp): LogEntry[] {
    return this.entries.filter((e) => (typeof message === 'string' ? e.message === message : message.test(e.message)));
  }

  private record(level: LogEntry['level'], message: string, fields?: LogFields): void {
    this.entries.push({ level, message, fields: { ...this.bound, ...fields } });
  }
}
