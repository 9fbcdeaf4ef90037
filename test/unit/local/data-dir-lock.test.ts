import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME, lockDataDir, readHolder } from '../../../lib/local/data-dir-lock.js';
import { DataDirLockedError } from '../../../lib/local/errors.js';

/** PGlite is single-process: a data directory is locked by the process that has it open. */

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'tasker-lock-')), 'data');
  dirs.push(dir);
  return dir;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid as number;
}

describe('lockDataDir', () => {
  it('creates the directory and a lock file naming the holder; a second taker is refused with the holder', () => {
    const dir = dataDir();
    const lock = lockDataDir(dir, { command: 'tasker dev', now: () => new Date('2030-01-01T00:00:00Z') });
    expect(readHolder(join(dir, LOCK_FILE_NAME))).toEqual({
      pid: process.pid,
      command: 'tasker dev',
      since: '2030-01-01T00:00:00.000Z',
    });
    const refused = (() => {
      try {
        lockDataDir(dir, { command: 'tasker run' });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).holder).toMatchObject({ pid: process.pid, command: 'tasker dev' });
    expect((refused as Error).message).toBe(
      `the data directory ${dir} is in use by process ${process.pid} (tasker dev, since 2030-01-01T00:00:00.000Z)`,
    );
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
    lockDataDir(dir).release();
  });

  it('takes over a stale lock whose process is gone, and an unreadable one', () => {
    const dir = dataDir();
    lockDataDir(dir).release();
    const file = join(dir, LOCK_FILE_NAME);
    writeFileSync(file, JSON.stringify({ pid: deadPid(), command: 'tasker dev', since: '2020-01-01T00:00:00Z' }));
    const lock = lockDataDir(dir, { command: 'tasker run' });
    expect(readHolder(file)).toMatchObject({ pid: process.pid, command: 'tasker run' });
    lock.release();
    writeFileSync(file, '{ half a lo');
    lockDataDir(dir).release();
  });

  it('a lock held by a live process is kept, whatever the caller thinks of its own pid', () => {
    const dir = dataDir();
    const holder = lockDataDir(dir, { pid: 4242, isAlive: () => true });
    expect(() => lockDataDir(dir, { isAlive: (pid) => pid === 4242 })).toThrow(/in use by process 4242/);
    holder.release();
  });

  it('release leaves a lock that another holder took over', () => {
    const dir = dataDir();
    const mine = lockDataDir(dir);
    const file = join(dir, LOCK_FILE_NAME);
    const theirs = JSON.stringify({ pid: process.pid, command: 'someone else', since: '2031-01-01T00:00:00.000Z' });
    writeFileSync(file, theirs);
    mine.release();
    expect(readFileSync(file, 'utf8')).toBe(theirs);
  });
});
