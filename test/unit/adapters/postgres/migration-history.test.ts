import { describe, expect, it } from 'vitest';
import {
  describeProblem,
  MigrationRefusedError,
  planMigrations,
  type AppliedMigration,
  type Migration,
} from '../../../../lib/adapters/postgres/migration-history.js';

const file = (id: number, name: string, checksum = `sum-${id}`): Migration => ({
  id,
  name: `${String(id).padStart(6, '0')}_${name}.sql`,
  sql: `-- ${name}`,
  checksum,
});
const row = (m: Migration, checksum: string | null = m.checksum): AppliedMigration => ({
  id: m.id,
  name: m.name,
  checksum,
});

const [a, b, c] = [file(1, 'schema'), file(2, 'claim'), file(3, 'recovery')];

describe('planMigrations', () => {
  it('applies every file on an empty database, nothing when all are recorded', () => {
    expect(planMigrations([a, b, c], [])).toEqual({ ok: true, pending: [a, b, c], unrecorded: [] });
    expect(planMigrations([a, b, c], [row(a), row(b), row(c)])).toEqual({ ok: true, pending: [], unrecorded: [] });
  });

  it('applies only the files after the applied ones', () => {
    expect(planMigrations([a, b, c], [row(a)])).toEqual({ ok: true, pending: [b, c], unrecorded: [] });
  });

  it('records the checksum of files applied before checksums existed', () => {
    expect(planMigrations([a, b, c], [row(a, null), row(b, null)])).toEqual({
      ok: true,
      pending: [c],
      unrecorded: [a, b],
    });
  });

  it('refuses an applied file whose bytes changed, with the recorded and the found checksum', () => {
    const edited = { ...b, checksum: 'other' };
    expect(planMigrations([a, edited, c], [row(a), row(b)])).toEqual({
      ok: false,
      problem: { kind: 'edited', file: b.name, expected: 'sum-2', found: 'other' },
    });
  });

  it('refuses a file applied in the database that is not on disk, or is there under another name', () => {
    expect(planMigrations([a, b], [row(a), row(b), row(c)])).toEqual({
      ok: false,
      problem: { kind: 'missing-on-disk', file: c.name },
    });
    const renamed = file(2, 'claims');
    expect(planMigrations([a, renamed], [row(a), row(b)])).toEqual({
      ok: false,
      problem: { kind: 'missing-on-disk', file: b.name },
    });
  });

  it('refuses a gap in the numbering on disk and two files with one number', () => {
    expect(planMigrations([a, c], [])).toEqual({
      ok: false,
      problem: { kind: 'gap-on-disk', file: c.name, missingId: 2 },
    });
    expect(planMigrations([b, c], [])).toEqual({
      ok: false,
      problem: { kind: 'gap-on-disk', file: b.name, missingId: 1 },
    });
    const twin = file(2, 'claim_again');
    expect(planMigrations([a, b, twin], [])).toEqual({
      ok: false,
      problem: { kind: 'duplicate-number', file: twin.name, other: b.name },
    });
  });

  it('refuses a pending file below an applied one (a gap in the database)', () => {
    expect(planMigrations([a, b, c], [row(a), row(c)])).toEqual({
      ok: false,
      problem: { kind: 'gap-in-database', file: b.name, appliedAfter: c.name },
    });
  });
});

describe('MigrationRefusedError', () => {
  it('names the file and, for an edit, both checksums', () => {
    const error = new MigrationRefusedError({ kind: 'edited', file: b.name, expected: 'aaa', found: 'bbb' });
    expect(error.file).toBe(b.name);
    expect(error.message).toMatch(/000002_claim\.sql was edited .*recorded sha256 aaa, file has bbb/);
  });

  it('says what to do for every kind of problem', () => {
    expect(describeProblem({ kind: 'gap-on-disk', file: c.name, missingId: 2 })).toMatch(
      /number 000002 is missing: the next file is 000003_recovery\.sql/,
    );
    expect(describeProblem({ kind: 'missing-on-disk', file: c.name })).toMatch(
      /000003_recovery\.sql is applied .* restore it/,
    );
    expect(describeProblem({ kind: 'duplicate-number', file: c.name, other: b.name })).toMatch(/share a number/);
    expect(describeProblem({ kind: 'gap-in-database', file: b.name, appliedAfter: c.name })).toMatch(
      /000002_claim\.sql is not applied but the later 000003_recovery\.sql is/,
    );
  });
});
