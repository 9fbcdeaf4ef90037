import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DataDirLockedError, type DataDirLockHolder } from './errors.js';

/** The lock file inside a PGlite data directory (PostgreSQL ignores files it does not know). */
export const LOCK_FILE_NAME = 'tasker.lock';

/** A held lock; `release()` removes the lock file if it is still this holder's. */
export interface DataDirLock {
  readonly file: string;
  release(): void;
}

export interface LockOptions {
  readonly pid?: number;
  /** What holds the lock, for the message the next process gets (default: this process's argv). */
  readonly command?: string;
  readonly now?: () => Date;
  /** Whether a process is alive (default: signal 0). */
  readonly isAlive?: (pid: number) => boolean;
}

/**
 * Takes the lock of a PGlite data directory (creating the directory), so a second process cannot
 * open it: PGlite is single-process, two processes on one directory corrupt it. The lock file holds
 * the holder's pid, command and start; a lock whose process is gone is stale and taken over.
 * Throws DataDirLockedError naming the holder when a live process holds it.
 *
 * @example
 * ```ts
 * const lock = lockDataDir('.tasker');
 * try { await work(); } finally { lock.release(); }
 * ```
 */
export function lockDataDir(dataDir: string, options: LockOptions = {}): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE_NAME);
  const me: DataDirLockHolder = {
    pid: options.pid ?? process.pid,
    command: options.command ?? commandLine(),
    since: (options.now?.() ?? new Date()).toISOString(),
  };
  const isAlive = options.isAlive ?? processAlive;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (tryCreate(file, me)) return held(file, me);
    const holder = readHolder(file);
    if (holder !== null && isAlive(holder.pid)) throw new DataDirLockedError(dataDir, file, holder);
    // Stale (its process is gone) or unreadable: take it over.
    rmSync(file, { force: true });
  }
  throw new DataDirLockedError(dataDir, file, readHolder(file) ?? { pid: 0, command: 'unknown', since: 'unknown' });
}

/** Creates the lock file with its content in one step (a link of a complete temporary file). */
function tryCreate(file: string, me: DataDirLockHolder): boolean {
  const temporary = `${file}.${me.pid}.${Date.now()}`;
  writeFileSync(temporary, `${JSON.stringify(me)}\n`);
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

function held(file: string, me: DataDirLockHolder): DataDirLock {
  const release = () => {
    process.off('exit', release);
    const holder = readHolder(file);
    if (holder?.pid === me.pid && holder.since === me.since) rmSync(file, { force: true });
  };
  // A process that exits without closing leaves no lock behind (a killed one leaves a stale one).
  process.on('exit', release);
  return { file, release };
}

/** The holder a lock file names; null when it cannot be read. */
export function readHolder(file: string): DataDirLockHolder | null {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<DataDirLockHolder>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return null;
    return { pid: value.pid, command: String(value.command ?? 'unknown'), since: String(value.since ?? 'unknown') };
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `tasker.mjs dev --data-dir` (the script and its first arguments). */
function commandLine(): string {
  return [basename(process.argv[1] ?? 'node'), ...process.argv.slice(2, 5)].join(' ');
}
