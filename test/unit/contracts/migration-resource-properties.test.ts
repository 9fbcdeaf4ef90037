import { describe, expect, it } from 'vitest';
import { parseMigrationResourceProperties } from '../../../lib/contracts/migration-resource-properties.js';

describe('the migration resource properties', () => {
  it('reads the grace CloudFormation passes as a string, and keeps nothing else', () => {
    expect(
      parseMigrationResourceProperties({
        ServiceToken: 'arn:x',
        MigrationBundle: 'k.zip',
        BlockedTaskGraceMs: '60000',
      }),
    ).toEqual({ ok: true, value: { BlockedTaskGraceMs: 60_000 } });
    expect(parseMigrationResourceProperties(undefined)).toEqual({ ok: true, value: {} });
  });

  it('names the property it cannot read', () => {
    const parsed = parseMigrationResourceProperties({ BlockedTaskGraceMs: '1.5' });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems).toEqual([expect.stringMatching(/^BlockedTaskGraceMs: /)]);
  });
});
