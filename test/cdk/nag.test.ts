import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { readAppSettings } from '../../cdk/app-settings.js';
import { TaskerEngine } from '../../cdk/tasker-engine.js';
import type { TaskerEngineProps } from '../../cdk/tasker-engine-props.js';
import { TaskerStack } from '../../cdk/tasker-stack.js';
import { entryProps, testApp } from './support/synth.js';

/**
 * cdk-nag's AwsSolutions rules over the synthesized stacks: no error is left unacknowledged. The engine's accepted
 * findings, each with its reason, are in cdk/nag-acknowledgements.ts; anything new fails here until it is fixed or
 * acknowledged there.
 */

interface Finding {
  readonly rule: string;
  readonly path: string;
  readonly severity: string;
}

interface ValidationReport {
  readonly pluginReports: {
    readonly violations: {
      readonly ruleName: string;
      readonly severity: string;
      readonly violatingConstructs: { readonly constructPath: string }[];
    }[];
  }[];
}

/** Synthesizes `app` with the AwsSolutions checks; the findings they report (none when synthesis passes). */
function nagFindings(app: App): Finding[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
    return [];
  } catch (error) {
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
    const findings = report.pluginReports.flatMap((p) =>
      p.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => ({ rule: v.ruleName, path: c.constructPath, severity: v.severity })),
      ),
    );
    if (findings.length === 0) throw error;
    return findings;
  }
}

const errors = (findings: Finding[]) =>
  findings.filter((f) => f.severity === 'error').map((f) => `${f.rule} ${f.path}`);

function engineApp(props: Partial<TaskerEngineProps>): App {
  const app = testApp();
  new TaskerEngine(new Stack(app, 'NagStack'), 'Engine', { database: { kind: 'rds' }, ...entryProps(), ...props });
  return app;
}

describe('cdk-nag AwsSolutionsChecks', { timeout: 120_000 }, () => {
  it('finds no unacknowledged error in the example app (the RDS variant, as `npx cdk synth` builds it)', () => {
    const app = testApp();
    const settings = readAppSettings(app.node);
    new TaskerStack(app, 'TaskerServerless', {
      settings: { ...settings, engine: { ...settings.engine, ...entryProps() } },
    });
    expect(errors(nagFindings(app))).toEqual([]);
  });

  it('finds none in the RDS variant with a default pool, a Lambda pool and a pull pool with its role', () => {
    const app = engineApp({
      defaultPool: { kind: 'lambda' },
      workerPools: { billing: { kind: 'lambda' }, reports: { kind: 'pull', createRole: true } },
    });
    expect(errors(nagFindings(app))).toEqual([]);
  });

  it('finds none with schedules and the task.requested rule on the default bus too', () => {
    const app = engineApp({
      ingress: { defaultBusRule: true },
      schedules: [
        {
          name: 'nightly',
          namespace: 'reports',
          template: 'daily',
          expression: 'cron(0 2 * * ? *)',
          timeZone: 'Europe/Paris',
        },
      ],
    });
    expect(errors(nagFindings(app))).toEqual([]);
  });

  it("finds none of the engine's in the existing-database variant (the user's VPC is the user's)", () => {
    const app = testApp();
    const stack = new Stack(app, 'NagExisting');
    const vpc = new ec2.Vpc(stack, 'UserVpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'UserSecret',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tasker-db-AbCdEf',
    );
    new TaskerEngine(stack, 'Engine', {
      database: { kind: 'existing', vpc, secret, databaseSecurityGroup: new ec2.SecurityGroup(stack, 'DbSg', { vpc }) },
      ...entryProps(),
    });
    expect(errors(nagFindings(app))).toEqual([]);
  });

  it('leaves what a user turns off visible: rotation off, deletion protection off', () => {
    const app = engineApp({ database: { kind: 'rds', credentialRotation: false, deletionProtection: false } });
    expect(
      errors(nagFindings(app))
        .map((e) => e.split(' ')[0])
        .sort(),
    ).toEqual(['AwsSolutions-RDS10', 'AwsSolutions-SMG4', 'AwsSolutions-SMG4']);
  });
});
