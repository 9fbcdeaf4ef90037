import { fileURLToPath } from 'node:url';
import { startEmbeddedRuntime, type EmbeddedRuntime } from 'tasker-serverless/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import handlers from '../src/handlers.js';

const templatesDir = fileURLToPath(new URL('../templates', import.meta.url));

describe('greetings/hello on the embedded runtime (PGlite, in-process queues, the real Lambda handlers)', () => {
  let runtime: EmbeddedRuntime;
  beforeAll(async () => {
    runtime = await startEmbeddedRuntime({ templatesDir, handlers, databaseUrl: null, transport: 'memory' });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('has a handler for every step of the templates', () => {
    expect(runtime.missingCallables).toEqual([]);
  });

  it('greets, then shouts the greeting', async () => {
    const created = await runtime.createTask({ namespace: 'greetings', name: 'hello', context: { name: 'Ada' } });
    if (!created.ok) throw new Error(`${created.message}: ${created.problems.join('; ')}`);
    const task = await runtime.waitForTask(created.taskUuid);
    expect(task.state).toBe('complete');
    expect(task.steps.find((s) => s.name === 'shout')?.results).toEqual({ message: 'HELLO, ADA!' });
  });

  it("refuses a context the template's input schema does not accept", async () => {
    const created = await runtime.createTask({ namespace: 'greetings', name: 'hello', context: {} });
    expect(created.ok).toBe(false);
  });
});
