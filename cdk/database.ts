import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct, type IDependable } from 'constructs';
import { DatabaseCredentials, DEFAULT_ROTATION } from './database-credentials.js';
import type { FunctionNetwork } from './tasker-function.js';
import type { ExistingDatabaseProps, RdsDatabaseProps, TaskerDatabaseProps } from './database-props.js';

export const POSTGRES_PORT = 5432;
const HTTPS = ec2.Port.tcp(443);

/** What the database-facing functions need: the secrets, the network, and the host to use instead of the secret's. */
export interface TaskerDatabase {
  /** The schema owner's credentials: the migrate function's (and an operator's). */
  readonly secret: secretsmanager.ISecret;
  /** The runtime functions' credentials (completion, sweeper): a login in role tasker_runtime, or `secret` when there is none. */
  readonly runtimeSecret: secretsmanager.ISecret;
  /** Secret rotations, which must not start before the migrations created the runtime login. */
  readonly rotations: readonly IConstruct[];
  readonly network: FunctionNetwork;
  /** The RDS Proxy endpoint when there is one. */
  readonly host: string | undefined;
  /** What the migrations must wait for. */
  readonly ready: IDependable[];
  readonly instance?: rds.DatabaseInstance;
  readonly proxy?: rds.DatabaseProxy;
}

/** Either wires up an existing PostgreSQL or creates RDS PostgreSQL (+ RDS Proxy, generated secret, VPC if none given). */
export class TaskerDatabaseResources extends Construct {
  readonly database: TaskerDatabase;

  constructor(scope: Construct, id: string, props: TaskerDatabaseProps) {
    super(scope, id);
    this.database = props.kind === 'existing' ? this.existing(props) : this.rds(props);
  }

  private existing(props: ExistingDatabaseProps): TaskerDatabase {
    const port = ec2.Port.tcp(props.port ?? POSTGRES_PORT);
    const securityGroups = props.securityGroups ?? [
      this.functionsSecurityGroup(props.vpc, props.databaseSecurityGroup ?? ec2.Peer.anyIpv4(), port),
    ];
    for (const sg of securityGroups)
      props.databaseSecurityGroup?.addIngressRule(sg, port, 'tasker functions to PostgreSQL');
    const network = { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups };
    return {
      secret: props.secret,
      runtimeSecret: props.runtimeSecret ?? props.secret,
      rotations: [],
      network,
      host: undefined,
      ready: [],
    };
  }

  private rds(props: RdsDatabaseProps): TaskerDatabase {
    const vpc = props.vpc ?? this.createVpc(props.natGateways ?? 1);
    const subnets = props.vpc
      ? {}
      : {
          db: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
          functions: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        };
    const instanceSg = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc,
      allowAllOutbound: false,
      description: 'tasker PostgreSQL instance',
    });
    const instance = this.createInstance(props, vpc, subnets.db, instanceSg);
    const databaseName = props.databaseName ?? 'tasker';
    const credentials = new DatabaseCredentials(this, 'Credentials', {
      instance,
      databaseName,
      vpc,
      rotationSubnets: subnets.functions,
      rotation: props.credentialRotation ?? DEFAULT_ROTATION,
    });
    const proxy =
      props.proxy === false
        ? undefined
        : this.createProxy(instance, [instance.secret!, credentials.runtimeSecret], vpc, subnets.db);
    const endpointSg = proxy ? proxy.connections.securityGroups[0]! : instanceSg;
    const functionsSg = this.functionsSecurityGroup(vpc, endpointSg, ec2.Port.tcp(POSTGRES_PORT));
    endpointSg.addIngressRule(functionsSg, ec2.Port.tcp(POSTGRES_PORT), 'tasker functions to PostgreSQL');
    const ready = [...resourcesOf(instance, instance.secret!, credentials.runtimeSecret), ...(proxy ? [proxy] : [])];
    const network = { vpc, vpcSubnets: subnets.functions, securityGroups: [functionsSg] };
    return {
      secret: instance.secret!,
      runtimeSecret: credentials.runtimeSecret,
      rotations: credentials.rotations,
      network,
      host: proxy?.endpoint,
      ready,
      instance,
      proxy,
    };
  }

  private createVpc(natGateways: number): ec2.Vpc {
    return new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
  }

  private createInstance(
    props: RdsDatabaseProps,
    vpc: ec2.IVpc,
    vpcSubnets: ec2.SubnetSelection | undefined,
    sg: ec2.ISecurityGroup,
  ) {
    return new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: props.engineVersion ?? rds.PostgresEngineVersion.VER_17 }),
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc,
      vpcSubnets,
      securityGroups: [sg],
      credentials: rds.Credentials.fromGeneratedSecret('tasker'),
      databaseName: props.databaseName ?? 'tasker',
      allocatedStorage: props.allocatedStorageGiB ?? 20,
      maxAllocatedStorage: props.maxAllocatedStorageGiB ?? 100,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      multiAz: props.multiAz ?? false,
      publiclyAccessible: false,
      backupRetention: props.backupRetention ?? Duration.days(7),
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
    });
  }

  /**
   * The proxy authenticates the logins of `secrets` (the owner and the runtime login) and holds the connections; clients
   * must use TLS. addProxy opens proxy -> instance.
   */
  private createProxy(
    instance: rds.DatabaseInstance,
    secrets: secretsmanager.ISecret[],
    vpc: ec2.IVpc,
    vpcSubnets: ec2.SubnetSelection | undefined,
  ) {
    const proxySg = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
      vpc,
      allowAllOutbound: false,
      description: 'tasker RDS Proxy',
    });
    return instance.addProxy('Proxy', { secrets, vpc, vpcSubnets, securityGroups: [proxySg], requireTLS: true });
  }

  /** The functions may reach the database port and HTTPS (AWS APIs through NAT or VPC endpoints), nothing else. */
  private functionsSecurityGroup(vpc: ec2.IVpc, database: ec2.IPeer, port: ec2.Port): ec2.SecurityGroup {
    const sg = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc,
      allowAllOutbound: false,
      description: 'tasker database-facing functions',
    });
    sg.addEgressRule(database, port, 'PostgreSQL');
    sg.addEgressRule(ec2.Peer.anyIpv4(), HTTPS, 'AWS APIs (SQS, EventBridge, Secrets Manager)');
    return sg;
  }
}

/**
 * The CloudFormation resources themselves (an instance, a secret's attachment), not their subtrees: those hold the
 * rotation schedules, which in turn wait for the migrations.
 */
function resourcesOf(...constructs: IConstruct[]): IConstruct[] {
  return constructs.map((c) => c.node.defaultChild ?? c);
}
