import { describe, expect, it } from 'vitest';
import { InvalidJsonSchemaError } from '../../../lib/contracts/errors.js';
import { compileValidator, schemaProblems, stableKey } from '../../../lib/contracts/json-schema.js';

const customerSchema = {
  type: 'object',
  required: ['customer'],
  properties: {
    customer: {
      type: 'object',
      required: ['email'],
      additionalProperties: false,
      properties: { email: { type: 'string', format: 'email' }, name: { type: 'string' } },
    },
  },
};

describe('schemaProblems', () => {
  it('accepts a draft 2020-12 schema with formats', () => {
    expect(schemaProblems(customerSchema)).toEqual([]);
  });

  it('accepts a schema declaring draft-07, and boolean schemas', () => {
    expect(
      schemaProblems({ $schema: 'http://json-schema.org/draft-07/schema#', definitions: { x: { type: 'string' } } }),
    ).toEqual([]);
    expect(schemaProblems(true)).toEqual([]);
  });

  it('names the location of a bad keyword value, once', () => {
    expect(schemaProblems({ type: 'object', properties: { id: { type: 'strin' } } })).toEqual([
      '/properties/id/type must be equal to one of the allowed values: ["array","boolean","integer","null","number","object","string"]',
    ]);
  });

  it('reports every bad location', () => {
    const problems = schemaProblems({ minLength: -1, properties: { a: { maxItems: 'x' } } });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/\/minLength must be >= 0/);
    expect(problems.join('\n')).toMatch(/\/properties\/a\/maxItems must be integer/);
  });

  it('refuses unknown keywords such as typos (strict mode)', () => {
    expect(schemaProblems({ type: 'object', requried: ['id'] })).toEqual(['strict mode: unknown keyword: "requried"']);
  });

  it('refuses unknown formats and unresolvable references', () => {
    expect(schemaProblems({ type: 'string', format: 'emial' })[0]).toMatch(/unknown format "emial"/);
    expect(schemaProblems({ $ref: '#/$defs/missing' })[0]).toMatch(/can't resolve reference/);
  });

  it('refuses an unsupported $schema dialect', () => {
    expect(schemaProblems({ $schema: 'http://json-schema.org/draft-04/schema#' })[0]).toMatch(/unsupported \$schema/);
  });

  it('refuses values that are not schemas', () => {
    expect(schemaProblems('string')).toEqual(['a JSON Schema must be an object']);
    expect(schemaProblems([])).toEqual(['a JSON Schema must be an object']);
    expect(schemaProblems(null)).toEqual(['a JSON Schema must be an object']);
  });

  it('allows two different schemas with the same $id (e.g. across template versions)', () => {
    expect(schemaProblems({ $id: 'https://example.test/order.json', type: 'object' })).toEqual([]);
    expect(schemaProblems({ $id: 'https://example.test/order.json', type: 'array' })).toEqual([]);
  });
});

describe('compileValidator', () => {
  it('accepts a valid value', () => {
    expect(compileValidator(customerSchema)({ customer: { email: 'a@example.com' } })).toEqual({ ok: true });
  });

  it('names the instance path of every problem', () => {
    const result = compileValidator(customerSchema)({ customer: { email: 'not-an-email', nickname: 'x' } });
    expect(result).toEqual({
      ok: false,
      problems: [
        '/customer must NOT have additional properties ("nickname")',
        '/customer/email must match format "email"',
      ],
    });
  });

  it('calls the whole value (root)', () => {
    expect(compileValidator(customerSchema)({})).toEqual({
      ok: false,
      problems: ["(root) must have required property 'customer'"],
    });
    expect(compileValidator(customerSchema)('text')).toEqual({ ok: false, problems: ['(root) must be object'] });
  });

  it('follows draft-07 semantics when the schema asks for them', () => {
    const tuple = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'array',
      items: [{ type: 'string' }],
      additionalItems: false,
    };
    const validate = compileValidator(tuple);
    expect(validate(['a'])).toEqual({ ok: true });
    expect(validate(['a', 'b'])).toMatchObject({ ok: false });
  });

  it('returns the same validator for the same schema object', () => {
    expect(compileValidator(customerSchema)).toBe(compileValidator(customerSchema));
  });

  it('returns the same validator for an equal schema in a new object, whatever its key order', () => {
    const copy = JSON.parse(JSON.stringify(customerSchema)) as Record<string, unknown>;
    const reordered = { properties: copy.properties, required: copy.required, type: copy.type };
    expect(compileValidator(reordered)).toBe(compileValidator(customerSchema));
  });

  it('compiles different schemas to different validators', () => {
    const a = compileValidator({ type: 'string' });
    const b = compileValidator({ type: 'number' });
    expect(a).not.toBe(b);
    expect(a(1)).toMatchObject({ ok: false });
    expect(b(1)).toEqual({ ok: true });
  });

  it('throws InvalidJsonSchemaError, with the problems, for an invalid schema', () => {
    const compile = () => compileValidator({ type: 'object', requried: ['x'] });
    expect(compile).toThrow(InvalidJsonSchemaError);
    expect(compile).toThrow(/unknown keyword: "requried"/);
  });

  it('handles boolean schemas', () => {
    expect(compileValidator(true)(42)).toEqual({ ok: true });
    expect(compileValidator(false)(42)).toEqual({ ok: false, problems: ['(root) boolean schema is false'] });
  });

  it('compiles a schema once: the same validator serves every later call (speed belongs in npm run bench)', () => {
    const validate = compileValidator(customerSchema);
    for (let i = 0; i < 1_000; i += 1) {
      expect(compileValidator(customerSchema)({ customer: { email: `u${i}@example.com` } })).toEqual({ ok: true });
    }
    expect(validate).toBe(compileValidator(customerSchema));
  });
});

describe('stableKey', () => {
  it('ignores key order but not values or array order', () => {
    expect(stableKey({ a: 1, b: [1, 2] })).toBe(stableKey({ b: [1, 2], a: 1 }));
    expect(stableKey({ a: 1 })).not.toBe(stableKey({ a: 2 }));
    expect(stableKey([1, 2])).not.toBe(stableKey([2, 1]));
    expect(stableKey({ a: 'x' })).not.toBe(stableKey({ a: '"x"' }));
  });
});
