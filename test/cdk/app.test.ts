import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { engineProps } from '../../cdk/app-engine-props.js';
import { EXAMPLE_TEMPLATES_DIR, readAppSettings, stackEnvironment } from '../../cdk/app-settings.js';
import { contextOf, contextProblems } from './support/app-context.js';
import { TaskerStack } from '../../cdk/tasker-stack.js';
import { REPO_ROOT, defaultPoolOf, entryProps, testApp } from './support/synth.js';
import { resourcesOf } from './support/template-queries.js';

describe('cdk.json', () => {
  const cdkJson = JSON.parse(readFileSync(`${REPO_ROOT}cdk.json`, 'utf8'));

  it('runs the app with tsx and writes to cdk.out (git-ignored)', () => {
    expect(cdkJson.app).toBe('npx tsx cdk/app.ts');
    expect(cdkJson.output).toBe('cdk.out');
    expect(readFileSync(`${REPO_ROOT}.gitignore`, 'utf8')).toMatch(/^cdk\.out\/?$/m);
  });
});

describe('app settings from context', () => {
  it('defaults to the RDS variant with every engine default when there is no context', () => {
    const settings = readAppSettings(contextOf({}));
    expect(settings.stackName).toBe('TaskerServerless');
    expect(settings.database).toEqual({ kind: 'rds', instanceType: undefined, natGateways: undefined, proxy: true });
    const { templatesDir, ...rest } = settings.engine;
    expect(Object.values(rest).every((v) => v === undefined)).toBe(true);
    expect(templatesDir).toBe(EXAMPLE_TEMPLATES_DIR);
  });

  it('reads numbers and lists given as strings (-c key=value) or JSON values (cdk.json)', () => {
    const settings = readAppSettings(
      contextOf({
        maxConcurrentHandlers: '20',
        handlerTimeoutSeconds: 60,
        deadlineSafetyMarginMs: '1500',
        namespaceQueues: 'billing, shipping',
        dbProxy: 'false',
        dbInstanceType: 't4g.small',
      }),
    );
    expect(settings.engine.maxConcurrentHandlers).toBe(20);
    expect(settings.engine.handlerTimeout?.toSeconds()).toBe(60);
    expect(settings.engine.deadlineSafetyMargin?.toMilliseconds()).toBe(1500);
    expect(settings.engine.namespaceQueues).toEqual(['billing', 'shipping']);
    expect(settings.database).toMatchObject({ kind: 'rds', proxy: false, instanceType: 't4g.small' });
  });

  it('takes a templates directory relative to the repository, or none', () => {
    expect(readAppSettings(contextOf({ templatesDir: 'examples/patterns/templates' })).engine.templatesDir).toBe(
      `${REPO_ROOT}examples/patterns/templates`,
    );
    expect(readAppSettings(contextOf({ templatesDir: '/abs/templates' })).engine.templatesDir).toBe('/abs/templates');
    expect(readAppSettings(contextOf({ templatesDir: 'none' })).engine.templatesDir).toBeUndefined();
  });

  it('reads the existing-database settings', () => {
    const settings = readAppSettings(
      contextOf({
        database: 'existing',
        vpcId: 'vpc-1',
        secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf',
        subnetIds: 'subnet-a,subnet-b',
        securityGroupIds: ['sg-1'],
        databaseSecurityGroupId: 'sg-db',
        databasePort: '6432',
      }),
    );
    expect(settings.database).toEqual({
      kind: 'existing',
      vpcId: 'vpc-1',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf',
      secretName: undefined,
      subnetIds: ['subnet-a', 'subnet-b'],
      securityGroupIds: ['sg-1'],
      databaseSecurityGroupId: 'sg-db',
      port: 6432,
    });
  });

  it('refuses an existing database without the VPC and the secret, and other bad values, all at once', () => {
    expect(contextProblems({ database: 'existing', maxConcurrentHandlers: 'ten' })).toEqual([
      'database=existing needs -c vpcId=vpc-... (the VPC that reaches your database)',
      'database=existing needs -c secretArn=arn:aws:secretsmanager:... (complete ARN) or -c secretName=... (the database credentials secret)',
      "maxConcurrentHandlers must be a number (got 'ten')",
    ]);
    expect(contextProblems({ database: 'dynamo' })).toEqual(["database must be 'rds' or 'existing' (got 'dynamo')"]);
    expect(contextProblems({ dbProxy: 'yes' })).toEqual(["dbProxy must be true or false (got 'yes')"]);
  });
});

describe('the engine props of the app', () => {
  const propsOf = (context: Record<string, unknown>) => engineProps(readAppSettings(contextOf(context)).engine);

  it('are the engine defaults (and the example templates) without context', () => {
    expect(propsOf({})).toEqual({ templatesDir: EXAMPLE_TEMPLATES_DIR });
  });

  it("make the flat per-pool keys every Lambda pool's defaults, and defaultPool=true a default Lambda pool", () => {
    const props = propsOf({
      maxConcurrentHandlers: '20',
      dispatchBatchSize: '2',
      defaultPool: 'true',
      workerPools: '{"r":{"kind":"pull"}}',
      templatesDir: 'none',
    });
    expect(props).toEqual({
      lambdaPoolDefaults: { maxConcurrentHandlers: 20, dispatchBatchSize: 2 },
      defaultPool: { kind: 'lambda' },
      workerPools: { r: { kind: 'pull' } },
    });
    expect(propsOf({ defaultPool: 'false' }).defaultPool).toBe(false);
    expect(propsOf({ namespaceQueues: 'billing' }).namespaceQueues).toEqual(['billing']);
  });
});

describe('the stack environment', () => {
  const existing = readAppSettings(contextOf({ database: 'existing', vpcId: 'vpc-1', secretName: 'db' })).database;

  it('is agnostic for the RDS variant, whatever the credentials', () => {
    expect(
      stackEnvironment(readAppSettings(contextOf({})).database, {
        CDK_DEFAULT_ACCOUNT: '1',
        CDK_DEFAULT_REGION: 'eu-west-1',
      }),
    ).toBeUndefined();
  });

  it("is the credentials' account and region for the existing variant (the VPC lookup needs them)", () => {
    expect(
      stackEnvironment(existing, { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' }),
    ).toEqual({ account: '123456789012', region: 'eu-west-1' });
  });

  it('refuses the existing variant without credentials, saying why', () => {
    expect(() => stackEnvironment(existing, {})).toThrow(
      /database=existing looks the VPC up in your account: run with AWS credentials and a region/,
    );
  });
});

describe('the stack', () => {
  const app = testApp();
  const settings = readAppSettings(contextOf({ maxConcurrentHandlers: '4' }));
  const stack = new TaskerStack(app, settings.stackName, {
    settings: { ...settings, engine: { ...settings.engine, ...entryProps() } },
  });
  const template = Template.fromStack(stack);

  it('is environment-agnostic, so it synthesizes without credentials', () => {
    expect(stack.resolve(stack.account)).toEqual({ Ref: 'AWS::AccountId' });
    expect(stack.resolve(stack.region)).toEqual({ Ref: 'AWS::Region' });
  });

  it('applies the context to the engine', () => {
    expect(defaultPoolOf(stack.engine.settings).maxConcurrentHandlers).toBe(4);
    expect(Object.keys(resourcesOf(template, 'AWS::RDS::DBInstance'))).toHaveLength(1);
  });

  it('outputs what a client needs', () => {
    const outputs = Object.keys(template.toJSON().Outputs as object);
    expect(outputs).toEqual(
      expect.arrayContaining([
        'DispatchQueueUrl',
        'CompletionQueueUrl',
        'PoisonQueueUrl',
        'TaskRequestQueueUrl',
        'EventBusName',
        'TaskFailureTopicArn',
        'DatabaseSecretArn',
        'DatabaseRuntimeSecretArn',
        'DatabaseProxyEndpoint',
        'StepHandlerFunctionName',
        'DashboardName',
      ]),
    );
  });
});

describe('the stack against an existing database', () => {
  it('looks up the VPC, uses the secret by ARN and opens the given database security group', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tasker-db-AbCdEf';
    const settings = readAppSettings(
      contextOf({
        database: 'existing',
        vpcId: 'vpc-0123456789abcdef0',
        secretArn,
        databaseSecurityGroupId: 'sg-0db0000000000000a',
        subnetIds: 'subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2',
      }),
    );
    // Without a cached lookup, Vpc.fromLookup returns CDK's placeholder VPC (vpc-12345), which the CloudFormation
    // validation of cdk.json's flags rejects; the CLI replaces it with the looked-up VPC. Validation is off for this stack.
    const app = testApp({ '@aws-cdk/core:validateAgainstDefaultRules': false });
    const stack = new TaskerStack(app, 'Existing', {
      settings: { ...settings, engine: { ...settings.engine, ...entryProps() } },
      env: stackEnvironment(settings.database, {
        CDK_DEFAULT_ACCOUNT: '123456789012',
        CDK_DEFAULT_REGION: 'eu-west-1',
      }),
    });
    const template = Template.fromStack(stack);
    expect(Object.keys(resourcesOf(template, 'AWS::RDS::DBInstance'))).toHaveLength(0);
    const completion = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).find((f) =>
      f.Properties.Description?.startsWith('tasker completion'),
    )!;
    expect(completion.Properties.Environment.Variables.TASKER_DATABASE_SECRET_ARN).toBe(secretArn);
    expect(completion.Properties.VpcConfig.SubnetIds).toEqual(['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2']);
    expect(
      Object.values(resourcesOf(template, 'AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties.GroupId),
    ).toContain('sg-0db0000000000000a');
  });
});
