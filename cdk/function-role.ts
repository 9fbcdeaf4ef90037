import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * The actions Lambda needs to attach a function to a VPC (the AWS-managed AWSLambdaVPCAccessExecutionRole, minus its
 * logs:* on "*"). They must be allowed on "*": ec2:DescribeNetworkInterfaces works only on all resources, and Lambda
 * checks the role for all of them when the function is created with a VPC configuration.
 */
export const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/** An execution role that can write to exactly its own log group (and manage its VPC network interfaces when in a VPC); nothing else until granted. */
export function createFunctionRole(scope: Construct, id: string, logGroup: logs.ILogGroup, inVpc: boolean): iam.Role {
  const statements = [
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  ];
  if (inVpc) statements.push(new iam.PolicyStatement({ actions: [...VPC_ACCESS_ACTIONS], resources: ['*'] }));
  return new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    inlinePolicies: { Execution: new iam.PolicyDocument({ statements }) },
  });
}
