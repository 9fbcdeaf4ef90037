import { formatProblemPath } from './problem-path.js';

/**
 * How deeply objects and arrays may nest in a value we store: 100 levels.
 *
 * Why 100: the real ceilings are lower and less predictable than they look. `JSON.stringify` in
 * Node 20 recurses and throws `RangeError` between 3,000 and 5,000 levels (less when called deep
 * in a stack); PostgreSQL's jsonb parser recurses too and stops with "stack depth limit exceeded"
 * at about 14,500 levels under the default `max_stack_depth` of 2 MB (a setting each server may
 * change); schema validators and loggers recurse as well. 100 is far from all of them, is the
 * nesting limit MongoDB sets for its documents, is above .NET's JSON default of 64 and DynamoDB's
 * 32, and far above what real payloads need (rarely more than 10 levels).
 */
export const MAX_JSON_DEPTH = 100;

export interface StorableJsonLimits {
  /** Most levels of nested objects and arrays; the value itself, if one, is level 1. */
  readonly maxDepth: number;
}

export const STORABLE_JSON_LIMITS: StorableJsonLimits = { maxDepth: MAX_JSON_DEPTH };

export type UnstorableCode =
  /** A string or key with half of a UTF-16 surrogate pair (e.g. an emoji cut by `slice`). */
  | 'lone_surrogate'
  /** A string or key with U+0000, which PostgreSQL `text` and `jsonb` cannot hold. */
  | 'nul_character'
  /** NaN or ±Infinity (as `1e400` parses): JSON has no such number; `JSON.stringify` writes `null`. */
  | 'non_finite_number'
  /** Objects and arrays nested deeper than `maxDepth`. */
  | 'too_deep'
  /** Something `JSON.stringify` throws on: a BigInt, a circular reference, a throwing getter or `toJSON`. */
  | 'not_json';

/** The first place of a value PostgreSQL's jsonb cannot store as it is. */
export interface UnstorableValue {
  readonly code: UnstorableCode;
  /** Where, relative to the value: `''` for the value itself, `items[2].title`, `["a key"]`. */
  readonly path: string;
  /** What is wrong, naming the path; safe to store itself (no raw offending text in it). */
  readonly message: string;
}

/**
 * The first place (in document order) where `value`, as `JSON.stringify` would write it, holds
 * something PostgreSQL's jsonb refuses or JSON cannot carry faithfully, or null when it is
 * storable: lone surrogates and U+0000 in strings and object keys, non-finite numbers, nesting
 * deeper than `limits.maxDepth`, and what `JSON.stringify` throws on. It walks the value with an
 * explicit stack, so any depth is safe to check, and like `JSON.stringify` it calls `toJSON`,
 * leaves out `undefined`, functions and symbols, and reads own enumerable string keys.
 *
 * Every finite JavaScript number is storable: jsonb keeps it as an exact `numeric` and gives back
 * the same digits. (`-0` is written as `0` by `JSON.stringify`, which is not flagged.)
 *
 * @example
 * findUnstorableValue({ title: 'Great product 😀'.slice(0, 15) });
 * // { code: 'lone_surrogate', path: 'title', message: 'title holds a lone UTF-16 surrogate …' }
 * findUnstorableValue({ title: 'Great product 😀' }); // null
 */
export function findUnstorableValue(
  value: unknown,
  limits: StorableJsonLimits = STORABLE_JSON_LIMITS,
): UnstorableValue | null {
  const walk = new JsonWalk(limits);
  let found = walk.visit(value, '');
  while (found === null && walk.busy()) found = walk.next();
  return found;
}

/** One object or array being walked, and the position of its next member. */
interface Frame {
  readonly container: object;
  /** The object's keys, or null for an array (its indices). */
  readonly keys: readonly string[] | null;
  readonly size: number;
  next: number;
}

class JsonWalk {
  private readonly frames: Frame[] = [];

  constructor(private readonly limits: StorableJsonLimits) {}

  busy(): boolean {
    return this.frames.length > 0;
  }

  /** Checks the next member of the innermost container (its key, then its value), or leaves it. */
  next(): UnstorableValue | null {
    const frame = this.frames.at(-1) as Frame;
    if (frame.next >= frame.size) {
      this.frames.pop();
      return null;
    }
    const position = frame.next;
    frame.next += 1;
    const key = frame.keys === null ? String(position) : (frame.keys[position] as string);
    if (frame.keys !== null) {
      const problem = textProblem(key);
      if (problem) return this.problem(problem.code, `the key at ${where(this.path())} ${problem.says}`);
    }
    let member: unknown;
    try {
      member = (frame.container as Record<string, unknown>)[key];
    } catch {
      return this.problem('not_json', `${where(this.path())} cannot be read (its getter threw)`);
    }
    return this.visit(member, key);
  }

  /** Checks one value; a container's members are left for {@link next}. */
  visit(raw: unknown, key: string): UnstorableValue | null {
    const value = jsonForm(raw, key);
    if (value === THREW) return this.problem('not_json', `${where(this.path())}: its toJSON method threw`);
    if (typeof value === 'string') {
      const problem = textProblem(value);
      return problem ? this.problem(problem.code, `${where(this.path())} ${problem.says}`) : null;
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return this.problem(
        'non_finite_number',
        `${where(this.path())} is ${value}, which JSON cannot carry (it would be written as null)`,
      );
    }
    if (typeof value === 'bigint')
      return this.problem('not_json', `${where(this.path())} is a BigInt, which JSON cannot carry`);
    if (typeof value !== 'object' || value === null) return null;
    return this.enter(value);
  }

  private enter(container: object): UnstorableValue | null {
    if (this.frames.some((f) => f.container === container)) {
      return this.problem(
        'not_json',
        `${where(this.path())} refers back to an object that contains it (a circular reference)`,
      );
    }
    if (this.frames.length >= this.limits.maxDepth) {
      return this.problem(
        'too_deep',
        `${where(this.path())} is nested deeper than ${this.limits.maxDepth} levels of objects and arrays`,
      );
    }
    const keys = Array.isArray(container) ? null : Object.keys(container);
    this.frames.push({ container, keys, size: keys?.length ?? (container as unknown[]).length, next: 0 });
    return null;
  }

  /** The path to the member being checked: each container's current member. */
  private path(): string {
    const segments = this.frames.map((f) => (f.keys === null ? f.next - 1 : (f.keys[f.next - 1] as string)));
    return formatProblemPath(segments);
  }

  private problem(code: UnstorableCode, message: string): UnstorableValue {
    return { code, path: this.path(), message };
  }
}

const THREW = Symbol('threw');

/** What `JSON.stringify` writes for a value: its `toJSON` result, boxed primitives unboxed. */
function jsonForm(value: unknown, key: string): unknown {
  let form = value;
  const toJSON = (value as { toJSON?: unknown } | null | undefined)?.toJSON;
  if (typeof toJSON === 'function') {
    try {
      form = toJSON.call(value, key);
    } catch {
      return THREW;
    }
  }
  if (form instanceof Number || form instanceof String || form instanceof Boolean) return form.valueOf();
  return form;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * The text with every character PostgreSQL's jsonb refuses (a lone surrogate, U+0000) replaced by
 * U+FFFD, the replacement character. For text that describes (an error message), never for data:
 * data that cannot be stored is refused, not changed.
 *
 * @example
 * storableText('declined \u0000 by the bank'); // 'declined \uFFFD by the bank'
 * storableText('Great product 😀'.slice(0, 15)); // 'Great product \uFFFD'
 */
export function storableText(text: string): string {
  return text.replace(LONE_SURROGATES, '\uFFFD').replaceAll('\u0000', '\uFFFD');
}

/** The first character of a string PostgreSQL's jsonb refuses, as `holds …`, or null. */
function textProblem(text: string): { code: UnstorableCode; says: string } | null {
  const nul = text.indexOf('\u0000');
  const surrogate = LONE_SURROGATE.exec(text);
  if (surrogate !== null && (nul === -1 || surrogate.index < nul)) {
    const unit = `\\u${surrogate[0].charCodeAt(0).toString(16)}`;
    const says = `holds a lone UTF-16 surrogate (${unit} at index ${surrogate.index}), half of a character: PostgreSQL's jsonb refuses it (was the text cut inside an emoji?)`;
    return { code: 'lone_surrogate', says };
  }
  if (nul !== -1)
    return {
      code: 'nul_character',
      says: `holds the character U+0000 (at index ${nul}), which PostgreSQL text and jsonb cannot store`,
    };
  return null;
}

/** The path as a message names it: `the value` for the whole, long paths shortened to 200 characters. */
function where(path: string): string {
  if (path === '') return 'the value';
  if (path.length <= 200) return path;
  const end = /[\uD800-\uDBFF]/.test(path.charAt(199)) ? 199 : 200;
  return `${path.slice(0, end)}…`;
}
