import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';

export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, any>;
  readonly DependsOn?: string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** The logical id CloudFormation sees for a construct (its default child for L2s). */
export function logicalIdOf(construct: IConstruct): string {
  const target = (construct.node.defaultChild ?? construct) as IConstruct & { logicalId: string };
  return Stack.of(construct).resolve(target.logicalId) as string;
}

export function resourcesOf(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

export function resourceOf(template: Template, construct: IConstruct): CfnResource {
  const id = logicalIdOf(construct);
  const resource = (template.toJSON().Resources as Record<string, CfnResource>)[id];
  if (!resource) throw new Error(`no resource ${id} in the template`);
  return resource;
}

/** The logical id inside `{ Ref: id }` or `{ 'Fn::GetAtt': [id, attr] }`. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return v.Ref ?? v['Fn::GetAtt']?.[0];
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Principal?: unknown;
  readonly Condition?: unknown;
}

/** Every identity-policy statement: AWS::IAM::Policy documents and roles' inline policies, with the role(s) they apply to. */
export function identityStatements(template: Template): { roles: string[]; statement: Statement }[] {
  const out: { roles: string[]; statement: Statement }[] = [];
  for (const [id, role] of Object.entries(resourcesOf(template, 'AWS::IAM::Role'))) {
    for (const policy of asArray(role.Properties.Policies)) {
      for (const statement of asArray<Statement>(policy.PolicyDocument.Statement)) out.push({ roles: [id], statement });
    }
  }
  for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
    const roles = asArray(policy.Properties.Roles).map((r) => referencedId(r) ?? String(r));
    for (const statement of asArray<Statement>(policy.Properties.PolicyDocument.Statement))
      out.push({ roles, statement });
  }
  return out;
}

/** action -> the resources a role may do it on (JSON-encoded, for comparison). */
export function permissionsOfRole(template: Template, roleId: string): Map<string, Set<string>> {
  const permissions = new Map<string, Set<string>>();
  for (const { roles, statement } of identityStatements(template)) {
    if (!roles.includes(roleId) || statement.Effect !== 'Allow') continue;
    for (const action of asArray(statement.Action)) {
      const set = permissions.get(action) ?? new Set<string>();
      for (const resource of asArray(statement.Resource as unknown)) set.add(JSON.stringify(resource));
      permissions.set(action, set);
    }
  }
  return permissions;
}

/** Every statement of the template's customer-managed policies (AWS::IAM::ManagedPolicy), by the policy's logical id. */
export function managedPolicyStatements(template: Template): Map<string, Statement[]> {
  const out = new Map<string, Statement[]>();
  for (const [id, policy] of Object.entries(resourcesOf(template, 'AWS::IAM::ManagedPolicy')))
    out.set(id, asArray<Statement>(policy.Properties.PolicyDocument.Statement));
  return out;
}

/**
 * A resolved value as CloudFormation would compute it: `Ref`/`Fn::GetAtt` become `ref(id, attribute)`, `Fn::Join` joins.
 * Throws on any other intrinsic, so a test never compares a half-evaluated value.
 */
export function evaluate(value: unknown, ref: (id: string, attribute: string | undefined) => string): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref !== undefined) return ref(v.Ref, undefined);
  if (v['Fn::GetAtt'] !== undefined) return ref(v['Fn::GetAtt'][0], v['Fn::GetAtt'][1]);
  if (v['Fn::Join'] !== undefined) return v['Fn::Join'][1].map((part) => evaluate(part, ref)).join(v['Fn::Join'][0]);
  throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
}
