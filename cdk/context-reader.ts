import type { Node } from 'constructs';

/**
 * Typed values from CDK context, which arrive as strings from `-c` and as JSON values from cdk.json. A value of the wrong
 * type adds to `problems` (so every problem is reported at once) instead of throwing.
 *
 * @example
 * ```ts
 * const reader = new ContextReader(app.node);
 * const cap = reader.number('maxConcurrentHandlers'); // '20' or 20 -> 20; 'ten' -> a problem
 * ```
 */
export class ContextReader {
  /** Every value that had the wrong type, in the order read. */
  readonly problems: string[] = [];
  constructor(private readonly node: Pick<Node, 'tryGetContext'>) {}

  /** As given: a string from `-c`, any JSON value from cdk.json. */
  raw(key: string): unknown {
    return this.node.tryGetContext(key);
  }

  /** The value as a string; undefined when missing or empty. */
  string(key: string): string | undefined {
    const value: unknown = this.node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    return String(value);
  }

  /** A number, from a string or a JSON number. */
  number(key: string): number | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) this.problems.push(`${key} must be a number (got '${raw}')`);
    return value;
  }

  /** `true` or `false`, from a string or a JSON boolean. */
  boolean(key: string): boolean | undefined {
    const raw = this.string(key);
    if (raw === undefined) return undefined;
    if (raw !== 'true' && raw !== 'false') this.problems.push(`${key} must be true or false (got '${raw}')`);
    return raw === 'true';
  }

  /** A JSON array, or a comma-separated string; empty when missing. */
  list(key: string): string[] {
    const value: unknown = this.node.tryGetContext(key);
    if (Array.isArray(value)) return value.map(String);
    return (this.string(key) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
}
