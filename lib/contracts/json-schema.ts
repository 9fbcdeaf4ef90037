import { Ajv } from 'ajv';
import type { AnySchema, ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { errorMessage } from '../domain/error-message.js';
import { InvalidJsonSchemaError } from './errors.js';

/**
 * JSON Schema for task contexts and domain-event payloads: draft 2020-12 by default, draft-07 when
 * the schema says so in `$schema`. Strict: unknown keywords and unknown formats are errors, so a
 * typo such as `requried` is caught when the template loads rather than silently ignored.
 */
export type JsonSchemaValidation = { ok: true } | { ok: false; problems: string[] };
export type JsonSchemaValidator = (value: unknown) => JsonSchemaValidation;

const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema';
const DRAFT_07 = 'http://json-schema.org/draft-07/schema';
/** Bound on distinct schemas kept by content; templates declare few, this only stops runaway growth. */
const MAX_CACHED_BY_KEY = 1000;

const options = {
  allErrors: true,
  strict: true,
  strictTypes: false,
  strictTuples: false,
  allowUnionTypes: true,
} as const;
const ajv2020 = withFormats(new Ajv2020(options));
const ajv07 = withFormats(new Ajv(options));

const byIdentity = new WeakMap<object, JsonSchemaValidator>();
const byKey = new Map<string, JsonSchemaValidator>();

function withFormats<T extends Ajv | Ajv2020>(ajv: T): T {
  addFormats.default(ajv);
  return ajv;
}

/** Every reason `schema` is not a usable JSON Schema; empty when it is one. */
export function schemaProblems(schema: unknown): string[] {
  if (typeof schema === 'boolean') return [];
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    return ['a JSON Schema must be an object'];
  const ajv = ajvFor(schema);
  if (typeof ajv === 'string') return [ajv];
  if (!ajv.validateSchema(schema)) return formatErrors(firstPerLocation(ajv.errors ?? []));
  const compiled = tryCompile(ajv, schema);
  return typeof compiled === 'string' ? [compiled] : [];
}

/**
 * A validator for `schema`, compiled once: cached by object identity, and by content for equal
 * schemas that arrive as new objects (for example parsed again from a database row).
 */
export function compileValidator(schema: AnySchema): JsonSchemaValidator {
  const isObject = typeof schema === 'object';
  const known = isObject ? byIdentity.get(schema) : undefined;
  if (known) return known;
  const key = stableKey(schema);
  const validator = byKey.get(key) ?? remember(key, buildValidator(schema));
  if (isObject) byIdentity.set(schema, validator);
  return validator;
}

function buildValidator(schema: AnySchema): JsonSchemaValidator {
  const ajv = typeof schema === 'boolean' ? ajv2020 : ajvFor(schema);
  if (typeof ajv === 'string') throw new InvalidJsonSchemaError([ajv]);
  const validate = tryCompile(ajv, schema);
  if (typeof validate === 'string') throw new InvalidJsonSchemaError(schemaProblems(schema));
  return (value) => (validate(value) ? { ok: true } : { ok: false, problems: formatErrors(validate.errors ?? []) });
}

function remember(key: string, validator: JsonSchemaValidator): JsonSchemaValidator {
  if (byKey.size >= MAX_CACHED_BY_KEY) {
    const oldest = byKey.keys().next().value;
    if (oldest !== undefined) byKey.delete(oldest);
  }
  byKey.set(key, validator);
  return validator;
}

/** The Ajv instance for the schema's dialect, or why there is none. */
function ajvFor(schema: object): Ajv | Ajv2020 | string {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared === undefined) return ajv2020;
  const dialect = typeof declared === 'string' ? declared.replace(/#$/, '') : declared;
  if (dialect === DRAFT_2020) return ajv2020;
  if (dialect === DRAFT_07) return ajv07;
  return `unsupported $schema ${JSON.stringify(declared)}: use "${DRAFT_2020}" or "${DRAFT_07}#"`;
}

/**
 * Compiles without leaving the schema registered in Ajv: templates may reuse an `$id` across
 * versions, and Ajv's own registry would otherwise grow with every distinct schema object.
 */
function tryCompile(ajv: Ajv | Ajv2020, schema: AnySchema): ValidateFunction | string {
  try {
    return ajv.compile(schema);
  } catch (error) {
    return errorMessage(error);
  } finally {
    if (typeof schema === 'object') ajv.removeSchema(schema);
  }
}

/**
 * The meta-schema explains one bad keyword several ways (`type` fails an enum, then "must be
 * array", then its anyOf); the first explanation per location is the useful one.
 */
function firstPerLocation(errors: readonly ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(e.instancePath) && seen.add(e.instancePath));
}

/** `/customer/email must match format "email"`; the whole value is `(root)`. */
function formatErrors(errors: readonly ErrorObject[]): string[] {
  return errors.map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${detail(e)}`);
}

function detail(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') return ` (${JSON.stringify(params.additionalProperty)})`;
  if (error.keyword === 'enum') return `: ${JSON.stringify(params.allowedValues)}`;
  if (error.keyword === 'unevaluatedProperties') return ` (${JSON.stringify(params.unevaluatedProperty)})`;
  return '';
}

/** JSON with object keys sorted, so equal schemas get equal keys whatever their key order. */
export function stableKey(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableKey((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
