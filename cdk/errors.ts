/** `title:` and one indented `- problem` line per problem. */
function listed(title: string, problems: readonly string[]): string {
  return `${title}:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}

/**
 * TaskerEngine props that cannot be deployed; lists every problem at once. Thrown by the construct before it creates
 * anything.
 *
 * @example
 * ```ts
 * try { new TaskerEngine(stack, 'Tasker', props); } catch (e) { if (e instanceof TaskerEnginePropsError) console.error(e.problems); }
 * ```
 */
export class TaskerEnginePropsError extends Error {
  override readonly name = 'TaskerEnginePropsError';
  constructor(readonly problems: readonly string[]) {
    super(listed('invalid TaskerEngine props', problems));
  }
}

/** App context (`-c key=value`, cdk.json) that cannot be used; lists every problem at once. */
export class AppContextError extends Error {
  override readonly name = 'AppContextError';
  constructor(readonly problems: readonly string[]) {
    super(listed('invalid CDK context', problems));
  }
}
