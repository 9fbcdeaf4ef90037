/** Structured fields every log line about a step should carry. */
export interface LogFields {
  task_uuid?: string | null;
  step_uuid?: string | null;
  event_id?: string | null;
  correlation_id?: string | null;
  [key: string]: unknown;
}

/** A structured JSON logger. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}
