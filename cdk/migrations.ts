import { CustomResource, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IDependable } from 'constructs';
import type { MigrationResourceProperties } from '../lib/contracts/migration-resource-properties.js';
import { createFunctionRole } from './function-role.js';

export interface MigrationsProps {
  /** The migration function (functions/migrate.ts): applies the SQL migrations on Create and Update, does nothing on Delete. */
  readonly migrateFunction: lambda.Function;
  readonly logRetention: logs.RetentionDays;
  /** What must exist before the migrations run (the database, its proxy, the runtime login's secret). */
  readonly after: readonly IDependable[];
  /** The runtime login's secret, when the runtime has one: another secret creates its login again. */
  readonly runtimeSecret?: secretsmanager.ISecret;
  /** Written to the database by the migration function; a changed value runs it again. */
  readonly blockedTaskGraceMs: number;
}

export const MIGRATIONS_RESOURCE_TYPE = 'Custom::TaskerMigrations';

/**
 * Applies the migrations at deploy time through a custom resource. It runs again whenever the migration bundle changes
 * (its asset key is a property), so a deploy with new migrations migrates before the functions that need them update,
 * and whenever an engine setting it writes to the database changes (lib/contracts/migration-resource-properties.ts),
 * and when the runtime login's secret changes.
 */
export class Migrations extends Construct {
  readonly resource: CustomResource;
  readonly provider: cr.Provider;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'ProviderLogGroup', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = createFunctionRole(this, 'ProviderRole', logGroup, false);
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: props.migrateFunction,
      logGroup,
      frameworkOnEventRole: role,
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: MIGRATIONS_RESOURCE_TYPE,
      properties: {
        MigrationBundle: bundleKeyOf(props.migrateFunction),
        ...engineSettings(props),
        ...(props.runtimeSecret ? { RuntimeSecret: props.runtimeSecret.secretArn } : {}),
      },
    });
    this.resource.node.addDependency(...props.after);
  }
}

/** The S3 key of the function's code asset: it changes exactly when the bundle (and so the migrations in it) changes. */
function bundleKeyOf(fn: lambda.Function): unknown {
  const code = (fn.node.defaultChild as lambda.CfnFunction).code as lambda.CfnFunction.CodeProperty;
  return code.s3Key;
}

/** The engine settings the migration function writes (CloudFormation passes them on as strings). */
function engineSettings(props: MigrationsProps): Record<keyof MigrationResourceProperties, string> {
  return { BlockedTaskGraceMs: String(props.blockedTaskGraceMs) };
}
