import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorMessage } from '../domain/error-message.js';
import { CliError } from './errors.js';

/** `--context`: a JSON object, or `@file.json` to read one from a file (relative to `cwd`). */
export function parseContext(text: string | undefined, cwd: string): Record<string, unknown> {
  if (text === undefined) return {};
  const value = parseJsonOption(text, cwd, '--context', 'invalid_context');
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CliError('invalid_context', '--context must be a JSON object, e.g. \'{"order_id": "o-1"}\'');
  return value as Record<string, unknown>;
}

/** An option's JSON value: the text itself, or `@file.json`'s content; any JSON value. */
export function parseJsonOption(text: string, cwd: string, option: string, code: string): unknown {
  const source = text.startsWith('@') ? readJsonFile(text.slice(1), cwd, option, code) : text;
  try {
    return JSON.parse(source) as unknown;
  } catch (error) {
    throw new CliError(code, `${option} is not valid JSON: ${errorMessage(error)}`);
  }
}

function readJsonFile(path: string, cwd: string, option: string, code: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new CliError(code, `cannot read ${option} file ${path}: ${errorMessage(error)}`);
  }
}
