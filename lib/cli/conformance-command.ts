import { runConformance, type ScenarioReport } from '../conformance/run-conformance.js';
import { createEventBridgeClient, createSqsClient } from '../lambda/aws-clients.js';
import { err, out, type CliIo } from './cli-io.js';
import { CliError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export interface ConformanceCliOptions {
  readonly namespace: string;
  readonly scenario?: readonly string[];
  readonly showWorkerOutput?: boolean;
}

/**
 * `tasker worker-conformance`: prints `PASS <scenario> (<ms> ms)` or `FAIL <scenario>` with its problems under it,
 * then a summary; exit 0 when every scenario passed, 1 otherwise. The worker's output follows a failure.
 */
export async function conformanceCommand(
  command: readonly string[],
  opts: ConformanceCliOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<ExitCode> {
  if (!io.env.AWS_ENDPOINT_URL && !io.env.AWS_ENDPOINT_URL_SQS)
    throw new CliError(
      'missing_endpoint',
      'AWS_ENDPOINT_URL is not set: the conformance kit creates its queues on LocalStack',
      {
        hint: 'source <(bash .ci/localstack.sh env)',
      },
    );
  const clients = { sqs: createSqsClient(), events: createEventBridgeClient() };
  out(io, `tasker worker-conformance: namespace ${opts.namespace}, worker: ${command.join(' ')}`);
  try {
    const result = await runConformance({
      namespace: opts.namespace,
      command,
      env: io.env,
      clients,
      ...(signal ? { signal } : {}),
      ...(opts.scenario ? { only: opts.scenario } : {}),
      onReport: (report) => printReport(io, report),
      ...(opts.showWorkerOutput ? { onWorkerOutput: (chunk: string) => io.stderr.write(chunk) } : {}),
    });
    const failed = result.reports.filter((r) => !r.passed).length;
    out(io, `${result.reports.length - failed} passed, ${failed} failed`);
    if (failed > 0 && !opts.showWorkerOutput) {
      err(io, "--- the worker's last output ---");
      err(io, result.workerOutput);
    }
    if (signal?.aborted) return EXIT.interrupted;
    return failed === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    clients.sqs.destroy();
    clients.events.destroy();
  }
}

function printReport(io: CliIo, report: ScenarioReport): void {
  out(io, `${report.passed ? 'PASS' : 'FAIL'} ${report.name} (${report.ms} ms)`);
  for (const problem of report.problems) out(io, `     - ${problem}`);
}
