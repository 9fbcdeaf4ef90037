import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleDirectory } from '../../bench/cold-start.js';

const outside = mkdtempSync(join(tmpdir(), 'bench-out-'));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

describe('bundleDirectory', () => {
  it('lets a bundle written outside the checkout import the externals the Lambda runtime provides, run after run', async () => {
    await bundleDirectory(outside);
    const dir = await bundleDirectory(outside);
    expect(dir).toBe(join(outside, 'bundles'));
    const probe = join(dir, 'probe.mjs');
    writeFileSync(
      probe,
      "import { EventBridgeClient } from '@aws-sdk/client-eventbridge';\nconsole.log(typeof EventBridgeClient);\n",
    );
    expect(execFileSync(process.execPath, [probe], { encoding: 'utf8' }).trim()).toBe('function');
  });
});
