import { Option, type Command } from 'commander';
import { TASK_STATES } from '../domain/task-state.js';
import type { CliIo } from './cli-io.js';
import type { ExitCode } from './exit-codes.js';

/**
 * The commands that speak the HTTP API (lib/api): `task create|list|cancel`, `step retry|resolve|complete`,
 * `events redrive`, `dlq list|redrive`. Each goes to a deployed stack (`--stack`, `--api-url`; SigV4), to `tasker
 * dev` (`--api-url` and its token), or straight to a database (`--data-dir`, `--database-url`), the same API code
 * serving it in-process.
 */
export function registerApiCommands(
  program: Command,
  task: Command,
  ctx: { readonly io: CliIo },
  set: (c: ExitCode) => void,
) {
  const run = async (
    what: string,
    build: (m: typeof import('./api-commands.js')) => import('./api-commands.js').ApiCommandRequest,
    opts: import('./api-commands.js').ApiCommandOptions,
    describe: (body: Record<string, unknown>) => string[],
  ) => {
    const m = await import('./api-commands.js');
    set(await m.runApiCommand(what, build(m), opts, ctx.io, describe));
  };

  withApiOptions(
    task
      .command('create <task>')
      .description('create a task from a registered template (namespace/name[@version])')
      .option('--context <json>', 'the task context: a JSON object, or @file.json', '{}')
      .option('--idempotency-key <key>', 'the caller_provided identity key')
      .addOption(
        new Option('--identity-strategy <strategy>', 'how a duplicate is recognised').choices([
          'strict',
          'caller_provided',
          'always_unique',
        ]),
      )
      .option('--correlation-id <uuid>', 'carried by every message and event of the task')
      .option('--priority <n>', '-100..100'),
  ).action((ref: string, opts) =>
    run(
      'tasker task create',
      (m) => m.createRequest(ref, opts, ctx.io),
      opts,
      (b) => [`${b.created ? 'created' : 'already existed'}: ${b.task_uuid} (${b.state})`],
    ),
  );

  withApiOptions(
    task
      .command('list')
      .description('tasks, newest first (one page; --cursor for the next)')
      .option('--namespace <ns>')
      .option('--name <name>', "the template's name")
      .addOption(new Option('--state <state>').choices([...TASK_STATES]))
      .option('--created-from <iso>', 'created at or after (ISO 8601 with offset)')
      .option('--created-to <iso>', 'created before')
      .option('--limit <n>', 'page size (1..200, default 50)')
      .option('--cursor <cursor>', 'next_cursor of the previous page'),
  ).action((opts) =>
    run(
      'tasker task list',
      (m) => m.listRequest(opts),
      opts,
      (b) => {
        const tasks = b.tasks as Array<Record<string, string>>;
        return [
          ...tasks.map(
            (t) =>
              `${t.task_uuid}  ${String(t.state).padEnd(20)} ${t.namespace}/${t.name}@${t.version}  ${t.created_at}`,
          ),
          ...(b.next_cursor ? [`more: --cursor ${b.next_cursor}`] : []),
          ...(tasks.length === 0 ? ['no tasks'] : []),
        ];
      },
    ),
  );

  withApiOptions(
    reasonRequired(task.command('cancel <task_uuid>').description('cancel a task (audited: who, when, --reason)')),
  ).action((uuid: string, opts) =>
    run('tasker task cancel', (m) => m.cancelRequest(uuid, opts.reason), opts, describeAction),
  );

  const step = program
    .command('step')
    .description('operator actions on a step (audited: who, when, --reason), and signals to wait steps');
  for (const [action, text] of [
    ['retry', 'reset a failed or cancelled step for retry (attempts start again)'],
    ['resolve', 'resolve a step manually: it no longer blocks its dependents'],
    ['complete', 'complete a step manually with --result, which its dependents receive'],
  ] as const) {
    const command = reasonRequired(step.command(`${action} <task_uuid> <step_name>`).description(text));
    if (action === 'complete') command.requiredOption('--result <json>', 'the result, JSON');
    withApiOptions(command).action((uuid: string, name: string, opts) =>
      run(
        `tasker step ${action}`,
        (m) => m.stepRequest(action, uuid, name, opts.reason, opts.result),
        opts,
        describeAction,
      ),
    );
  }

  withApiOptions(
    step
      .command('signal <task_uuid> <step_name>')
      .description("signal a wait step (type: wait): its payload becomes the step's result; exit 1 when refused")
      .option('--payload <json>', 'the signal payload: JSON, or @file.json', 'null'),
  ).action((uuid: string, name: string, opts) =>
    run(
      'tasker step signal',
      (m) => m.signalRequest(uuid, name, opts.payload, ctx.io),
      opts,
      (b) => [`signalled ${b.step_name} of task ${b.task_uuid}: step ${b.step_state}, task ${b.task_state}`],
    ),
  );

  const events = program.command('events').description('domain events');
  withApiOptions(
    events
      .command('redrive')
      .description('publish the domain events parked on the dead-letter queue again')
      .option('--max-messages <n>', 'look at no more than this many (default 100)')
      .option('--include-refused', 'also events parked for their schema or size'),
  ).action((opts) =>
    run(
      'tasker events redrive',
      (m) => ({ method: 'POST', path: '/events/redrive', body: m.redriveBody(opts) }),
      opts,
      describeRedrive,
    ),
  );

  const dlq = program.command('dlq').description('dead-letter and poison queues');
  withApiOptions(
    dlq
      .command('list [queue]')
      .description('the queues with their message counts; with a queue, its messages (left on it)')
      .option('--max-messages <n>', 'messages to show (default 10)'),
  ).action((queue: string | undefined, opts) =>
    run(
      'tasker dlq list',
      (m) =>
        queue
          ? {
              method: 'GET',
              path: m.withQuery(`/dead-letters/${encodeURIComponent(queue)}`, { max_messages: opts.maxMessages }),
            }
          : { method: 'GET', path: '/dead-letters' },
      opts,
      (b) =>
        queue
          ? (b.messages as Array<Record<string, unknown>>).map(
              (x) => `${x.message_id}  received ${x.receive_count}x  ${x.body}`,
            )
          : (b.queues as Array<Record<string, unknown>>).map(
              (q) => `${String(q.name).padEnd(24)} ${q.messages ?? '?'} message(s) → ${q.returns_to}`,
            ),
    ),
  );
  withApiOptions(
    dlq
      .command('redrive <queue>')
      .description("move a dead-letter queue's messages back to their queue (poison: each to its source queue)")
      .option('--max-messages <n>', 'look at no more than this many (default 100)'),
  ).action((queue: string, opts) =>
    run(
      'tasker dlq redrive',
      (m) => ({
        method: 'POST',
        path: `/dead-letters/${encodeURIComponent(queue)}/redrive`,
        body: m.redriveBody(opts),
      }),
      opts,
      describeRedrive,
    ),
  );
}

/** Where the API is: a deployed stack (SigV4), `tasker dev` (token), or a database; and `--json`. */
export function withApiOptions(command: Command): Command {
  return command
    .option(
      '--api-url <url>',
      "the API: a deployed stack's function URL (SigV4, AWS credential chain) or tasker dev's address",
    )
    .option('--stack <name>', 'a deployed stack: its API URL from its CloudFormation outputs')
    .option('--region <region>', "AWS region (default: the URL's, AWS_REGION)")
    .option('--token <token>', "tasker dev's token (default TASKER_DEV_TOKEN for a loopback --api-url)")
    .option('--database-url <url>', 'no API: this PostgreSQL server (default DATABASE_URL)')
    .option('--data-dir <dir>', 'no API: PGlite data written by tasker dev|run --data-dir')
    .option('--json', "print the API's answer as JSON");
}

function reasonRequired(command: Command): Command {
  return command.requiredOption('--reason <text>', 'why (recorded with the transitions, with who and when)');
}

function describeAction(b: Record<string, unknown>): string[] {
  return [`${b.action}${b.step_name ? ` ${b.step_name}` : ''} on ${b.task_uuid} by ${b.actor}: ${b.reason}`];
}

function describeRedrive(b: Record<string, unknown>): string[] {
  return [`redriven ${b.redriven}, failed ${b.failed}, left ${b.skipped}`];
}
