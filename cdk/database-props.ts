import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/** Use a PostgreSQL you already run: its credentials secret and the network that reaches it. */
export interface ExistingDatabaseProps {
  readonly kind: 'existing';
  /** Secrets Manager secret in the RDS JSON shape (`host`, `port`, `username`, `password`, `dbname`): the schema owner, used by the migrations. */
  readonly secret: secretsmanager.ISecret;
  /**
   * A second secret in that shape for the runtime functions (completion, sweeper): the migrate function makes its login a
   * member of role tasker_runtime (EXECUTE on the engine's operations, no table access) with its password, so the owner
   * must be allowed to create roles. Default: the runtime uses `secret` too.
   */
  readonly runtimeSecret?: secretsmanager.ISecret;
  /** The VPC the database-facing functions run in (they need a route to the database and to SQS, EventBridge and Secrets Manager). */
  readonly vpc: ec2.IVpc;
  /** Security groups for the database-facing functions. Default: one created by the construct. */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Subnets for the database-facing functions. Default: the VPC's private subnets (with egress, else isolated). */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** When given, the construct allows the functions in on `port`. Otherwise allow them yourself. */
  readonly databaseSecurityGroup?: ec2.ISecurityGroup;
  /** Database port for the ingress rule. Default 5432. */
  readonly port?: number;
}

/** Create a PostgreSQL on RDS (with RDS Proxy and a generated secret) in this stack. */
export interface RdsDatabaseProps {
  readonly kind: 'rds';
  /** Default: a new two-AZ VPC (public, private-with-egress and isolated subnets). */
  readonly vpc?: ec2.IVpc;
  /** NAT gateways of the VPC created when `vpc` is not given (the functions need egress to AWS APIs). Default 1. */
  readonly natGateways?: number;
  /** Default db.t4g.micro. */
  readonly instanceType?: ec2.InstanceType;
  /** Default PostgreSQL 17. */
  readonly engineVersion?: rds.PostgresEngineVersion;
  /** Default 20 GiB (gp3), growing to `maxAllocatedStorageGiB`. */
  readonly allocatedStorageGiB?: number;
  /** Default 100 GiB. */
  readonly maxAllocatedStorageGiB?: number;
  /** Default false. */
  readonly multiAz?: boolean;
  /** Default 'tasker'. */
  readonly databaseName?: string;
  /** Default 7 days. */
  readonly backupRetention?: Duration;
  /** Default true: the instance cannot be deleted (by CloudFormation or anyone) until this is turned off. */
  readonly deletionProtection?: boolean;
  /** What deleting the stack (or replacing the instance) does to it. Default RemovalPolicy.SNAPSHOT: a final snapshot is kept. */
  readonly removalPolicy?: RemovalPolicy;
  /** Put RDS Proxy in front of the instance. Default true. */
  readonly proxy?: boolean;
  /**
   * Rotate the owner's and the runtime login's secrets this often (single-user rotation functions in the VPC: they need a
   * route to Secrets Manager, the created VPC's NAT gateway or your NAT or interface endpoint). false: no rotation.
   * Default 30 days.
   */
  readonly credentialRotation?: Duration | false;
}

/**
 * Where orchestration state lives: your PostgreSQL, or one the construct creates.
 *
 * @example
 * ```ts
 * const database: TaskerDatabaseProps = { kind: 'existing', secret, vpc, databaseSecurityGroup };
 * ```
 */
export type TaskerDatabaseProps = ExistingDatabaseProps | RdsDatabaseProps;
