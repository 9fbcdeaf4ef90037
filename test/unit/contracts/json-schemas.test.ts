import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileValidator } from '../../../lib/contracts/json-schema.js';
import {
  CONTRACT_NAMES,
  CONTRACT_SCHEMAS,
  JSON_SCHEMA_DIR,
  contractJsonSchema,
  jsonSchemaFileName,
  renderJsonSchema,
  type ContractName,
} from '../../../lib/contracts/json-schemas.js';
import { loadFixture } from '../../helpers/contract-fixtures.js';

const ROOT = new URL('../../../', import.meta.url);
const SCHEMA_DIR = new URL(`${JSON_SCHEMA_DIR}/`, ROOT);
const FIXTURE_DIR = new URL('test/fixtures/contracts/', ROOT);

/** Which schemas each golden fixture must satisfy: its own (the name before the first dot), and the union it belongs to. */
function schemasFor(fixture: string): ContractName[] {
  const own = fixture.split('.')[0] as ContractName;
  const inCompletionQueue =
    own === 'step-execution-result' || own === 'retry-due-message' || own === 'step-started-message';
  return inCompletionQueue ? [own, 'completion-queue-message'] : [own];
}

const fixtures = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('published JSON Schemas', () => {
  it.each(CONTRACT_NAMES)(
    '%s: the committed file is the one generated from the zod schema (run `npm run schemas`)',
    (name) => {
      const committed = readFileSync(new URL(jsonSchemaFileName(name), SCHEMA_DIR), 'utf8');
      expect(committed).toBe(renderJsonSchema(name));
    },
  );

  it('the directory holds exactly the generated files', () => {
    const files = readdirSync(SCHEMA_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files).toEqual(CONTRACT_NAMES.map(jsonSchemaFileName).sort());
  });

  it('every fixture has a schema of that name', () => {
    expect(fixtures.length).toBeGreaterThan(0);
    for (const fixture of fixtures) expect(CONTRACT_NAMES, fixture).toContain(fixture.split('.')[0]);
  });

  it.each(fixtures)('the golden fixture %s is valid against its generated schema', (fixture) => {
    for (const name of schemasFor(fixture)) {
      const verdict = compileValidator(contractJsonSchema(name))(loadFixture(fixture));
      expect(verdict, `${fixture} against ${name}`).toEqual({ ok: true });
    }
  });

  it.each(fixtures)('the generated schema agrees with zod on %s', (fixture) => {
    const name = schemasFor(fixture)[0] as ContractName;
    expect(CONTRACT_SCHEMAS[name].schema.safeParse(loadFixture(fixture)).success).toBe(true);
  });

  it('refuses what zod refuses: a result without event_id, a bad error_type, a dispatch with a malformed deadline', () => {
    const result = loadFixture('step-execution-result.failure.json');
    const validateResult = compileValidator(contractJsonSchema('step-execution-result'));
    const { event_id: _dropped, ...withoutId } = result;
    expect(validateResult(withoutId).ok).toBe(false);
    expect(validateResult({ ...result, error: { ...result.error, error_type: 'oops' } }).ok).toBe(false);
    const dispatch = loadFixture('step-dispatch-message.json');
    expect(
      compileValidator(contractJsonSchema('step-dispatch-message'))({ ...dispatch, deadline: 'tomorrow' }).ok,
    ).toBe(false);
  });

  it('accepts what zod accepts with defaults: a result with the defaulted fields left out', () => {
    const {
      correlation_id: _c,
      step_name: _s,
      attempt: _a,
      ...minimal
    } = loadFixture('step-execution-result.success.json');
    expect(CONTRACT_SCHEMAS['step-execution-result'].schema.safeParse(minimal).success).toBe(true);
    expect(compileValidator(contractJsonSchema('step-execution-result'))(minimal)).toEqual({ ok: true });
  });
});

describe('the schemas as a worker in another language reads them', () => {
  const dispatch = loadFixture('step-dispatch-message.json');
  const validateDispatch = compileValidator(contractJsonSchema('step-dispatch-message'));

  it('ids are what the uuid pattern says, not what a lenient UUID parser reads (hex without hyphens, braces, urn)', () => {
    const hex = '0f8fad5bd9cb469fa16570867728950e';
    for (const id of [hex, `{0f8fad5b-d9cb-469f-a165-70867728950e}`, 'urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e'])
      expect(validateDispatch({ ...dispatch, event_id: id }).ok, id).toBe(false);
    expect(validateDispatch({ ...dispatch, event_id: '0F8FAD5B-D9CB-469F-A165-70867728950E' }).ok).toBe(true);
  });

  it('a validator applies no default: a declared event without condition stays without one (readers assume success)', () => {
    const event = { name: 'ecommerce.order_shipped' };
    const message = { ...dispatch, publishes_events: [event] };
    expect(validateDispatch(message).ok).toBe(true);
    expect(message.publishes_events[0]).toEqual({ name: 'ecommerce.order_shipped' });
  });
});
