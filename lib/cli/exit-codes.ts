/** `tasker`'s exit codes. */
export const EXIT = {
  /** The task completed; the templates are valid; the command did what was asked. */
  ok: 0,
  /** The task did not complete (failed, blocked, timed out); templates have problems. */
  failed: 1,
  /** Bad usage or configuration: unknown template, invalid --context, missing handlers module, ... */
  usage: 2,
  /** Stopped by SIGINT / SIGTERM (128 + 2, as shells report Ctrl-C). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
