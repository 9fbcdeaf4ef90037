import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../../lib/adapters/memory/memory-queue.js';
import { runCli } from '../../../lib/cli/main.js';
import { runtimeConfig } from '../../../lib/contracts/runtime-config.js';
import { createApiLambda } from '../../../lib/lambda/api-lambda.js';
import { COMPLETION_QUEUE, DISPATCH_QUEUE, OrchestrationHarness } from '../../helpers/orchestration-harness.js';
import { API_URL_OUTPUT_DESCRIPTION } from '../../../lib/contracts/api-endpoint.js';
import { readBody, startSigV4ApiServer, verifySigV4, type SigV4ApiServer } from '../../helpers/sigv4-api-server.js';
import { startTaskerDev } from '../../helpers/run-tasker.js';
import { buildTemplate } from '../../helpers/template-builder.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/test-database.js';
import { capturedIo } from '../../unit/cli/captured-io.js';

/**
 * The CLI in remote mode (`--api-url`), in this process: against a spawned `tasker dev` with its token, and with SigV4
 * against the API function's handler served by a node server that verifies each signature. The same commands, the
 * same answers: what works against tasker dev works against the deployed stack.
 */

const SPAWN_BOUND_MS = 120_000;

/** Runs `tasker <args>` in this process; the exit code and what it printed. */
async function tasker(args: string[], env: Record<string, string | undefined> = {}) {
  const io = capturedIo(false, env);
  const code = await runCli(['node', 'tasker', ...args], io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

async function json(args: string[], env: Record<string, string | undefined> = {}) {
  const r = await tasker([...args, '--json'], env);
  expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('the CLI against tasker dev (--api-url, its token)', { timeout: SPAWN_BOUND_MS + 60_000 }, () => {
  let dev: Awaited<ReturnType<typeof startDev>>;
  beforeAll(async () => {
    dev = await startDev();
  }, SPAWN_BOUND_MS);
  afterAll(async () => {
    await dev?.stop();
  });

  it('creates, lists, shows, cancels, retries a failed step and redrives events; refuses without the token', async () => {
    const at = ['--api-url', dev.url, '--token', dev.token];
    const throws = await json(['task', 'create', 'diag/throws', ...at]);
    expect(throws).toMatchObject({ created: true });
    const uuid = String(throws.task_uuid);
    await expect
      .poll(async () => ((await json(['task', 'show', uuid, ...at])).task as { state: string }).state, {
        timeout: SPAWN_BOUND_MS,
        interval: 200,
      })
      .toBe('error');
    const retried = await json(['step', 'retry', uuid, 'explode', '--reason', 'handler fixed', ...at]);
    expect(retried).toMatchObject({ action: 'reset_for_retry', step_name: 'explode', reason: 'handler fixed' });
    expect(String(retried.actor)).toMatch(/^local/);

    const hang = await json(['task', 'create', 'diag/hang', ...at]);
    const list = await json(['task', 'list', '--limit', '1', ...at]);
    expect((list.tasks as Array<{ task_uuid: string }>).map((t) => t.task_uuid)).toEqual([hang.task_uuid]);
    expect(list.next_cursor).toEqual(expect.any(String));
    const next = await json(['task', 'list', '--limit', '1', '--cursor', String(list.next_cursor), ...at]);
    expect((next.tasks as Array<{ task_uuid: string }>).map((t) => t.task_uuid)).toEqual([uuid]);

    const hangUuid = String(hang.task_uuid);
    const cancelled = await tasker(['task', 'cancel', hangUuid, '--reason', 'customer withdrew', ...at]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`cancel on ${hangUuid}`);
    const again = await tasker(['task', 'cancel', hangUuid, '--reason', 'twice', ...at]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cannot be cancelled');
    const shown = await tasker(['task', 'show', hangUuid, ...at]);
    expect(shown.stdout).toContain('(customer withdrew)  by local');

    expect(await json(['events', 'redrive', ...at])).toEqual({ redriven: 0, failed: 0, skipped: 0 });
    const queues = await json(['dlq', 'list', ...at]);
    expect((queues.queues as Array<{ name: string }>).map((q) => q.name)).toEqual([
      'dispatch-dlq',
      'completion-dlq',
      'poison',
    ]);

    const viaEnv = await tasker(['task', 'list', '--api-url', dev.url], { TASKER_DEV_TOKEN: dev.token });
    expect(viaEnv.code).toBe(0);
    const noToken = await tasker(['task', 'list', '--api-url', dev.url, '--token', 'wrong-token-0123456789']);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('401');
    const noReason = await tasker(['task', 'cancel', hangUuid, ...at]);
    expect(noReason.code).toBe(2);
  });
});

describe('the CLI against the API function, signed with SigV4 (--api-url)', () => {
  const credentials = { accessKeyId: 'AKIATESTREMOTE000001', secretAccessKey: 'test/secret/for/sigv4/verification' };
  const chain = buildTemplate({ name: 'remote_chain', steps: [{ name: 'a' }, { name: 'b', deps: ['a'] }] });
  const saved = { ...process.env };
  let db: TestDatabase;
  let h: OrchestrationHarness;
  let server: SigV4ApiServer;
  const dlqs = new MemoryQueue();
  let at: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    h = new OrchestrationHarness(db);
    await h.register(chain);
    const handler = createApiLambda({
      config: runtimeConfig.parse({
        dispatchQueueUrl: DISPATCH_QUEUE,
        completionQueueUrl: COMPLETION_QUEUE,
        domainEventDlqUrl: dlqs.createQueue('domain-event-dlq'),
      }),
      pool: db.pool,
      queues: h.queues,
      events: h.bus,
      logger: h.logger,
      deadLetterQueue: dlqs,
    });
    server = await startSigV4ApiServer(handler, credentials, 'eu-west-1');
    // The standard AWS chain reads them from the environment (the CLI runs in this process).
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    at = ['--api-url', server.url, '--region', 'eu-west-1'];
  });
  afterAll(async () => {
    process.env = saved;
    await server?.close();
    dlqs.close();
    await db?.close();
  });

  it('creates, lists, cancels, retries a step and redrives events, every request verified, the principal recorded', async () => {
    const created = await json(['task', 'create', `${chain.namespace}/${chain.name}`, '--context', '{"n":1}', ...at]);
    expect(created).toMatchObject({ created: true });
    const uuid = String(created.task_uuid);
    const [a] = h.dispatched().filter((m) => m.task_uuid === uuid);
    await h.fail(a!, { retryable: false });
    const retried = await json(['step', 'retry', uuid, 'a', '--reason', 'upstream fixed', ...at]);
    expect(retried).toMatchObject({
      action: 'reset_for_retry',
      actor: `arn:aws:iam::123456789012:user/${credentials.accessKeyId}`,
    });
    expect(
      h
        .dispatched()
        .filter((m) => m.task_uuid === uuid)
        .map((m) => m.step_name),
    ).toEqual(['a']);
    const list = await json(['task', 'list', '--name', chain.name, ...at]);
    expect((list.tasks as Array<{ task_uuid: string }>).map((t) => t.task_uuid)).toEqual([uuid]);
    const cancelled = await json(['task', 'cancel', uuid, '--reason', 'not needed', ...at]);
    expect(cancelled).toMatchObject({ action: 'cancel', reason: 'not needed' });
    const shown = await tasker(['task', 'show', uuid, ...at]);
    expect(shown.stdout).toContain(`(not needed)  by arn:aws:iam::123456789012:user/${credentials.accessKeyId}`);
    expect(await json(['events', 'redrive', '--max-messages', '5', ...at])).toEqual({
      redriven: 0,
      failed: 0,
      skipped: 0,
    });
    expect(server.verified).toBe(6);
    expect(server.refused).toBe(0);
  });

  it('finds the URL with --stack (a signed DescribeStacks); the same commands run on the database directly, the OS user recorded', async () => {
    const cloudformation = createServer((req, res) => {
      void (async () => {
        const body = (await readBody(req)) ?? '';
        const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
        if (!(await verifySigV4(req, url, body, credentials, 'eu-west-1', 'cloudformation')))
          return void res
            .writeHead(403)
            .end('<ErrorResponse><Error><Message>bad signature</Message></Error></ErrorResponse>');
        res
          .writeHead(200)
          .end(
            `<DescribeStacksResponse><DescribeStacksResult><Stacks><member><Outputs><member><OutputKey>EngineApiUrl1</OutputKey><OutputValue>${server.url}/</OutputValue><Description>${API_URL_OUTPUT_DESCRIPTION}</Description></member></Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`,
          );
      })();
    });
    await new Promise<void>((r) => cloudformation.listen(0, '127.0.0.1', () => r()));
    try {
      const endpoint = `http://127.0.0.1:${(cloudformation.address() as AddressInfo).port}/`;
      const created = await json(
        ['task', 'create', `${chain.namespace}/${chain.name}`, '--stack', 'Tasker', '--region', 'eu-west-1'],
        {
          AWS_ENDPOINT_URL_CLOUDFORMATION: endpoint,
        },
      );
      expect(created).toMatchObject({ created: true });
      const uuid = String(created.task_uuid);
      const local = ['--database-url', db.connectionString];
      const listed = await json(['task', 'list', '--name', chain.name, ...local]);
      expect((listed.tasks as Array<{ task_uuid: string }>).map((t) => t.task_uuid)).toContain(uuid);
      const cancelled = await json(['task', 'cancel', uuid, '--reason', 'done locally', ...local]);
      expect(String(cancelled.actor)).toMatch(/^local/);
      expect(await json(['dlq', 'list', ...local])).toEqual({ queues: [] });
      const redrive = await tasker(['events', 'redrive', ...local]);
      expect(redrive.code).toBe(1);
      expect(redrive.stderr).toContain('503');
    } finally {
      await new Promise<void>((r) => cloudformation.close(() => r()));
    }
  });

  it('is refused (403, exit 1) when signed with another secret; a typed refusal comes back as the API gave it', async () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    try {
      const refused = await tasker(['task', 'list', ...at]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('403');
      expect(server.refused).toBe(1);
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    }
    const unknown = await tasker(['task', 'cancel', '00000000-0000-4000-8000-000000000000', '--reason', 'r', ...at]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no task 00000000-0000-4000-8000-000000000000');
  });
});

/** `tasker dev` on the cli-run fixtures (a handler that throws, one that hangs) until it prints its address and token. */
const startDev = () =>
  startTaskerDev(
    ['--quiet', '--templates', 'test/fixtures/cli-run/templates', '--handlers', 'test/fixtures/cli-run/handlers.ts'],
    { startBoundMs: SPAWN_BOUND_MS, killAfterMs: SPAWN_BOUND_MS * 2 },
  );
