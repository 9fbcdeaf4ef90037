import { describe, expect, it } from 'vitest';
import type { OrchestrationDeps } from '../../../lib/orchestration/orchestration-deps.js';
import { perContainerDeps } from '../../../lib/lambda/orchestration-runtime.js';

describe('perContainerDeps', () => {
  it('builds once and reuses the deps for later invocations', async () => {
    let builds = 0;
    const deps = { marker: 'deps' } as unknown as OrchestrationDeps;
    const get = perContainerDeps(async () => {
      builds += 1;
      return deps;
    });
    expect(await get()).toBe(deps);
    expect(await get()).toBe(deps);
    expect(builds).toBe(1);
  });

  it('does not keep a failed build: the next invocation builds again', async () => {
    let builds = 0;
    const deps = { marker: 'deps' } as unknown as OrchestrationDeps;
    const get = perContainerDeps(async () => {
      builds += 1;
      if (builds === 1) throw new Error('secret unreachable');
      return deps;
    });
    await expect(get()).rejects.toThrow('secret unreachable');
    expect(await get()).toBe(deps);
    expect(builds).toBe(2);
  });
});
