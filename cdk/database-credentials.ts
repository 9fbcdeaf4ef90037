import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** The login the runtime functions use on the RDS variant: a member of tasker_runtime (migrations/*_runtime_role.sql), created by the migrate function. */
export const RUNTIME_LOGIN = 'tasker_app';

/** How often the credentials rotate unless `credentialRotation` says otherwise. */
export const DEFAULT_ROTATION = Duration.days(30);

const HTTPS = ec2.Port.tcp(443);

export interface DatabaseCredentialsProps {
  readonly instance: rds.DatabaseInstance;
  readonly databaseName: string;
  readonly vpc: ec2.IVpc;
  /** Where the rotation functions run: subnets with a route to the instance and to Secrets Manager (NAT or an interface endpoint). */
  readonly rotationSubnets: ec2.SubnetSelection | undefined;
  /** Rotate both secrets this often; false: never. */
  readonly rotation: Duration | false;
}

/**
 * The runtime login's secret (generated, attached to the instance so it carries host, port and dbname) and the rotation
 * of both secrets, the owner's and the runtime's, each by Secrets Manager's hosted single-user PostgreSQL rotation: it
 * logs in with the secret's current password and sets a new one. Sessions already open are unaffected; a runtime
 * connection refused afterwards reads the secret again (lib/lambda/secret-pool.ts).
 *
 * The rotation functions run in the VPC with a security group of their own: in to the instance's port, out to it and to
 * HTTPS (the Secrets Manager API, through the NAT gateway of the VPC the construct creates, or your VPC's NAT or
 * Secrets Manager interface endpoint).
 */
export class DatabaseCredentials extends Construct {
  readonly runtimeSecret: secretsmanager.ISecret;
  /** The rotation schedules (none when rotation is off): they rotate at once when created, so they wait for the runtime login. */
  readonly rotations: readonly secretsmanager.RotationSchedule[];

  constructor(scope: Construct, id: string, props: DatabaseCredentialsProps) {
    super(scope, id);
    const secret = new rds.DatabaseSecret(this, 'RuntimeSecret', {
      username: RUNTIME_LOGIN,
      dbname: props.databaseName,
    });
    this.runtimeSecret = secret.attach(props.instance);
    this.rotations = props.rotation === false ? [] : this.rotate(props, props.rotation);
  }

  private rotate(
    { instance, vpc, rotationSubnets }: DatabaseCredentialsProps,
    every: Duration,
  ): secretsmanager.RotationSchedule[] {
    const sg = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc,
      allowAllOutbound: false,
      description: 'tasker secret rotation functions',
    });
    sg.connections.allowToDefaultPort(instance, 'secret rotation: the database whose password it rotates');
    sg.addEgressRule(ec2.Peer.anyIpv4(), HTTPS, 'Secrets Manager API');
    const hosted = () =>
      secretsmanager.HostedRotation.postgreSqlSingleUser({ vpc, vpcSubnets: rotationSubnets, securityGroups: [sg] });
    return [
      instance.secret!.addRotationSchedule('Rotation', { hostedRotation: hosted(), automaticallyAfter: every }),
      this.runtimeSecret.addRotationSchedule('Rotation', { hostedRotation: hosted(), automaticallyAfter: every }),
    ];
  }
}
