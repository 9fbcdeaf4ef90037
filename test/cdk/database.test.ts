import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { RUNTIME_LOGIN } from '../../cdk/database-credentials.js';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lib/contracts/runtime-config.js';
import { optionalEnvKey } from '../../cdk/environment.js';
import { TaskerEngine } from '../../cdk/tasker-engine.js';
import { entryProps, existingDatabaseStack, synthEngine } from './support/synth.js';
import { logicalIdOf, referencedId, resourceOf, resourcesOf } from './support/template-queries.js';

describe('the RDS variant', () => {
  const { template, engine, stack } = synthEngine();

  it("creates an encrypted, private PostgreSQL instance with two generated secrets: the owner's and the runtime login's", () => {
    const db = resourceOf(template, engine.database.instance!).Properties;
    expect(db).toMatchObject({
      Engine: 'postgres',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      DBInstanceClass: 'db.t4g.micro',
      DBName: 'tasker',
    });
    expect(db.EngineVersion).toMatch(/^17/);
    const secrets = Object.values(resourcesOf(template, 'AWS::SecretsManager::Secret')).map((s) =>
      JSON.parse(s.Properties.GenerateSecretString.SecretStringTemplate),
    );
    expect(secrets).toEqual([{ username: 'tasker' }, { username: RUNTIME_LOGIN, dbname: 'tasker' }]);
  });

  it('protects the instance from deletion and keeps a snapshot when the stack deletes or replaces it, unless told otherwise', () => {
    const db = resourceOf(template, engine.database.instance!);
    expect([db.Properties.DeletionProtection, db.DeletionPolicy, db.UpdateReplacePolicy]).toEqual([
      true,
      'Snapshot',
      'Snapshot',
    ]);
    const { template: t, engine: e } = synthEngine({
      database: { kind: 'rds', deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY },
    });
    const dev = resourceOf(t, e.database.instance!);
    expect([dev.Properties.DeletionProtection, dev.DeletionPolicy]).toEqual([false, 'Delete']);
  });

  it('puts RDS Proxy in front of it, TLS required, authenticating with the generated secrets (the owner first, then the runtime login)', () => {
    const proxy = resourceOf(template, engine.database.proxy!).Properties;
    expect(proxy).toMatchObject({ EngineFamily: 'POSTGRESQL', RequireTLS: true });
    expect(stack.resolve(proxy.Auth[0].SecretArn)).toEqual(stack.resolve(engine.database.secret.secretArn));
    expect(stack.resolve(proxy.Auth[1].SecretArn)).toEqual(stack.resolve(engine.database.runtimeSecret.secretArn));
  });

  it('gives the runtime functions the runtime login, and the migration function the owner plus the runtime secret whose login it creates', () => {
    const arnOf = (x: { secretArn: string }) => stack.resolve(x.secretArn);
    for (const fn of [engine.completionHandler, engine.sweeper]) {
      const env = resourceOf(template, fn).Properties.Environment.Variables;
      expect([env[ENV.databaseSecretArn], env[ENV.databaseRuntimeSecretArn]]).toEqual([
        arnOf(engine.database.runtimeSecret),
        undefined,
      ]);
    }
    const migrator = resourceOf(template, engine.migrator).Properties.Environment.Variables;
    expect([migrator[ENV.databaseSecretArn], migrator[ENV.databaseRuntimeSecretArn]]).toEqual([
      arnOf(engine.database.secret),
      arnOf(engine.database.runtimeSecret),
    ]);
    expect(resourceOf(template, engine.migrations.resource).Properties.RuntimeSecret).toEqual(
      arnOf(engine.database.runtimeSecret),
    );
  });

  it('rotates both secrets every 30 days with hosted single-user rotation in the functions subnets, after the migrations created the login', () => {
    const schedules = Object.values(resourcesOf(template, 'AWS::SecretsManager::RotationSchedule'));
    expect(schedules.map((s) => stack.resolve(s.Properties.SecretId))).toEqual(
      [engine.database.secret, engine.database.runtimeSecret].map((x) => stack.resolve(x.secretArn)),
    );
    const fnSubnets = resourceOf(template, engine.sweeper).Properties.VpcConfig.SubnetIds.map(referencedId);
    for (const schedule of schedules) {
      expect(schedule.Properties.RotationRules).toEqual({ ScheduleExpression: 'rate(30 days)' });
      expect(schedule.Properties.HostedRotationLambda.RotationType).toBe('PostgreSQLSingleUser');
      const [, parts] = schedule.Properties.HostedRotationLambda.VpcSubnetIds['Fn::Join'] as [string, unknown[]];
      expect(parts.filter((p) => p !== ',').map(referencedId)).toEqual(fnSubnets);
      expect(schedule.DependsOn).toContain(logicalIdOf(engine.migrations.resource));
    }
    const weekly = synthEngine({ database: { kind: 'rds', credentialRotation: Duration.days(7) } }).template;
    for (const s of Object.values(resourcesOf(weekly, 'AWS::SecretsManager::RotationSchedule')))
      expect(s.Properties.RotationRules).toEqual({ ScheduleExpression: 'rate(7 days)' });
    expect(
      Object.keys(
        resourcesOf(
          synthEngine({ database: { kind: 'rds', credentialRotation: false } }).template,
          'AWS::SecretsManager::RotationSchedule',
        ),
      ),
    ).toHaveLength(0);
  });

  it('points the database functions at the proxy when the runtime has a host variable', () => {
    const hostKey = optionalEnvKey('databaseHost');
    const env = resourceOf(template, engine.completionHandler).Properties.Environment.Variables;
    if (hostKey) expect(env[ENV[hostKey]]).toEqual(stack.resolve(engine.database.proxy!.endpoint));
    else expect(Object.keys(env).some((name) => /HOST/.test(name))).toBe(false);
  });

  it('lets the functions reach only the proxy port and HTTPS; only the functions reach the proxy, only the proxy and the rotation functions the instance', () => {
    const fnSg = engine.database.network.securityGroups[0]!;
    const sg = resourceOf(template, fnSg).Properties;
    expect(sg.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }),
    ]);
    const egress = Object.values(resourcesOf(template, 'AWS::EC2::SecurityGroupEgress')).filter(
      (e) => referencedId(e.Properties.GroupId) === logicalIdOf(fnSg),
    );
    expect(egress.map((e) => [e.Properties.FromPort, referencedId(e.Properties.DestinationSecurityGroupId)])).toEqual([
      [5432, logicalIdOf(engine.database.proxy!.connections.securityGroups[0]!)],
    ]);
    const instanceSgId = logicalIdOf(engine.database.instance!.connections.securityGroups[0]!);
    const intoInstance = Object.values(resourcesOf(template, 'AWS::EC2::SecurityGroupIngress')).filter(
      (i) => referencedId(i.Properties.GroupId) === instanceSgId,
    );
    const rotationSgId = logicalIdOf(
      engine.node.findAll().find((c) => c.node.path.endsWith('Credentials/RotationSecurityGroup'))!,
    );
    const sources = intoInstance.map((rule) => referencedId(rule.Properties.SourceSecurityGroupId));
    expect(sources.sort()).toEqual(
      [logicalIdOf(engine.database.proxy!.connections.securityGroups[0]!), rotationSgId].sort(),
    );
  });

  it('creates a two-AZ VPC with one NAT gateway; functions in private subnets, the database in isolated ones', () => {
    expect(Object.keys(resourcesOf(template, 'AWS::EC2::NatGateway'))).toHaveLength(1);
    const subnets = resourcesOf(template, 'AWS::EC2::Subnet');
    const fnSubnets = resourceOf(template, engine.sweeper).Properties.VpcConfig.SubnetIds.map(
      (s: unknown) => referencedId(s)!,
    );
    for (const id of fnSubnets)
      expect(subnets[id]!.Properties.Tags).toContainEqual({ Key: 'aws-cdk:subnet-name', Value: 'functions' });
  });

  it('can go without the proxy', () => {
    const { template: t, engine: e } = synthEngine({ database: { kind: 'rds', proxy: false } });
    expect(Object.keys(resourcesOf(t, 'AWS::RDS::DBProxy'))).toHaveLength(0);
    expect(e.database.host).toBeUndefined();
  });
});

describe('the existing-database variant', () => {
  const { stack, vpc, secret, databaseSg } = existingDatabaseStack();
  const engine = new TaskerEngine(stack, 'Engine', {
    database: { kind: 'existing', vpc, secret, databaseSecurityGroup: databaseSg, port: 6432 },
    ...entryProps(),
  });
  const template = Template.fromStack(stack);

  it('creates no database, proxy or VPC of its own', () => {
    expect(Object.keys(resourcesOf(template, 'AWS::RDS::DBInstance'))).toHaveLength(0);
    expect(Object.keys(resourcesOf(template, 'AWS::RDS::DBProxy'))).toHaveLength(0);
    expect(Object.keys(resourcesOf(template, 'AWS::EC2::VPC'))).toHaveLength(1);
  });

  it('passes the given secret ARN to the database functions', () => {
    for (const fn of [engine.completionHandler, engine.sweeper, engine.migrator]) {
      expect(resourceOf(template, fn).Properties.Environment.Variables[ENV.databaseSecretArn]).toBe(secret.secretArn);
      expect(resourceOf(template, fn).Properties.Environment.Variables[ENV.databaseRuntimeSecretArn]).toBeUndefined();
    }
    expect(Object.keys(resourcesOf(template, 'AWS::SecretsManager::RotationSchedule'))).toHaveLength(0);
  });

  it('gives the runtime functions a runtime secret when one is given, and the migration function both', () => {
    const { stack: s, vpc: v, secret: owner } = existingDatabaseStack();
    const runtime = secretsmanager.Secret.fromSecretCompleteArn(
      s,
      'RuntimeSecret',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tasker-app-GhIjKl',
    );
    const e = new TaskerEngine(s, 'Engine', {
      database: { kind: 'existing', vpc: v, secret: owner, runtimeSecret: runtime },
      ...entryProps(),
    });
    const t = Template.fromStack(s);
    const env = (fn: Parameters<typeof resourceOf>[1]) => resourceOf(t, fn).Properties.Environment.Variables;
    for (const fn of [e.completionHandler, e.sweeper]) expect(env(fn)[ENV.databaseSecretArn]).toBe(runtime.secretArn);
    expect([env(e.migrator)[ENV.databaseSecretArn], env(e.migrator)[ENV.databaseRuntimeSecretArn]]).toEqual([
      owner.secretArn,
      runtime.secretArn,
    ]);
  });

  it('opens the database security group to the functions on the database port', () => {
    const rules = Object.values(resourcesOf(template, 'AWS::EC2::SecurityGroupIngress')).filter(
      (i) => referencedId(i.Properties.GroupId) === logicalIdOf(databaseSg),
    );
    expect(rules.map((r) => [r.Properties.FromPort, referencedId(r.Properties.SourceSecurityGroupId)])).toEqual([
      [6432, logicalIdOf(engine.database.network.securityGroups[0]!)],
    ]);
  });

  it('uses the given security groups and subnets instead of its own', () => {
    const { stack: s, vpc: v, secret: sec } = existingDatabaseStack();
    const sg = new ec2.SecurityGroup(s, 'Mine', { vpc: v });
    const e = new TaskerEngine(s, 'Engine', {
      database: {
        kind: 'existing',
        vpc: v,
        secret: sec,
        securityGroups: [sg],
        vpcSubnets: { subnets: [v.privateSubnets[0]!] },
      },
      ...entryProps(),
    });
    const fn = resourceOf(Template.fromStack(s), e.completionHandler).Properties;
    expect(fn.VpcConfig.SecurityGroupIds.map((x: unknown) => referencedId(x))).toEqual([logicalIdOf(sg)]);
    expect(fn.VpcConfig.SubnetIds.map((x: unknown) => referencedId(x))).toEqual([logicalIdOf(v.privateSubnets[0]!)]);
  });
});
