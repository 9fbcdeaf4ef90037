import pino from 'pino';
import type { LogFields, Logger } from '../ports/logger.js';

/** A pino-backed JSON logger: one line per entry, ids as top-level keys. */
export function createLogger(
  options: { level?: string; base?: LogFields; destination?: pino.DestinationStream } = {},
): Logger {
  const instance = pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
  return wrap(instance);
}

function wrap(instance: pino.Logger): Logger {
  return {
    debug: (message, fields) => instance.debug(fields ?? {}, message),
    info: (message, fields) => instance.info(fields ?? {}, message),
    warn: (message, fields) => instance.warn(fields ?? {}, message),
    error: (message, fields) => instance.error(fields ?? {}, message),
    child: (fields) => wrap(instance.child(fields)),
  };
}
