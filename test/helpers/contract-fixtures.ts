import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { z } from 'zod';

const FIXTURES = new URL('../fixtures/contracts/', import.meta.url);

/** A JSON object, loosely typed so tests can change any field. */
export type Json = Record<string, any>;

/** A golden fixture from test/fixtures/contracts, parsed from JSON (a fresh copy each call). */
export function loadFixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Json;
}

/** Asserts the schema refuses the value with an issue at exactly this path; returns the issue messages. */
export function expectRefusedAt(schema: z.ZodType, value: unknown, path: readonly PropertyKey[]): string[] {
  const parsed = schema.safeParse(value);
  expect(parsed.success, 'expected the value to be refused').toBe(false);
  const issues = parsed.error?.issues ?? [];
  expect(issues.map((i) => i.path)).toContainEqual(path);
  return issues.map((i) => i.message);
}
