import type { LogFields, Logger } from '../../../lib/ports/logger.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

export interface KeptEntry {
  readonly level: Level;
  readonly message: string;
  readonly fields: LogFields;
}

/**
 * Counts log lines by message (thousands of tasks log too much to keep), keeps the first few
 * hundred warnings and errors whole for assertion messages, and the entries a scenario asks for.
 */
export class CountingLogger implements Logger {
  constructor(
    private readonly shared: { counts: Map<string, number>; kept: KeptEntry[]; keep: (message: string) => boolean } = {
      counts: new Map(),
      kept: [],
      keep: () => false,
    },
    private readonly bound: LogFields = {},
  ) {}

  /** Keep every entry whose message matches (besides the first warnings and errors). */
  keepWhere(keep: (message: string) => boolean): void {
    this.shared.keep = keep;
  }

  count(message: string): number {
    return this.shared.counts.get(message) ?? 0;
  }

  entries(message: string): KeptEntry[] {
    return this.shared.kept.filter((e) => e.message === message);
  }

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
    return new CountingLogger(this.shared, { ...this.bound, ...fields });
  }

  private record(level: Level, message: string, fields?: LogFields): void {
    this.shared.counts.set(message, (this.shared.counts.get(message) ?? 0) + 1);
    const serious = (level === 'warn' || level === 'error') && this.shared.kept.length < 300;
    if (serious || this.shared.keep(message))
      this.shared.kept.push({ level, message, fields: { ...this.bound, ...fields } });
  }
}
