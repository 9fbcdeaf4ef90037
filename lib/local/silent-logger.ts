import type { Logger } from '../ports/logger.js';

/** A logger that drops everything (the default where a caller gives none). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
