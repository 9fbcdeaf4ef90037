import { Console } from 'node:console';
import { openSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Logger } from 'graphile-worker';

/**
 * graphile-worker's own default logger, as it logs in production, written into /dev/null: the same treatment as the
 * engine's logs in the bench (engine.ts, benchLogger: production JSON lines at info level, written synchronously into
 * /dev/null), so that what logging costs is in both sides' figures. graphile-worker logs a line per job at info
 * level ("Completed task 123 (noop, 0.05ms) with success") unless NO_LOG_SUCCESS is set; its `defaultLogger` formats
 * it with `[%s%s] %s: %s` and these parameters and hands it to `console` (graphile-worker/dist/logger.js), which
 * writes to stdout. This is that logger with a console whose stdout and stderr are /dev/null.
 */
export function graphileProductionLogger(): Logger {
  const out = devNull();
  return new Logger((scope) => (level, message) => {
    if (level === 'debug' && !process.env.GRAPHILE_LOGGER_DEBUG) return;
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'info' ? 'info' : 'log';
    const taskText = scope.taskIdentifier ? `: ${scope.taskIdentifier}` : '';
    const jobIdText = scope.jobId ? `{${scope.jobId}}` : '';
    out[method](
      '[%s%s] %s: %s',
      scope.label || 'core',
      scope.workerId ? `(${scope.workerId}${taskText}${jobIdText})` : '',
      level.toUpperCase(),
      message,
    );
  });
}

/** A console writing each line at once (as pino's sync destination does for the engine) into /dev/null. */
function devNull(): Console {
  const fd = openSync('/dev/null', 'w');
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writeSync(fd, chunk);
      done();
    },
  });
  return new Console({ stdout: stream, stderr: stream });
}
