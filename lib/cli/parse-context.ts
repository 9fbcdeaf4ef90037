import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorMessage } from '../domain/error-message.js';
import { CliError } from './errors.js';

/** `--context`: a JSON object, or `@file.json` to read one from a file (relative to `cwd`). */
export function parseContext(text: string | undefined, cwd: string): Record<string, unknown> {
  if (text === undefined) return {};
  const source = text.startsWith('@') ? readContextFile(text.slice(1), cwd) : text;
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw new CliError('invalid_context', `--context is not valid JSON: ${errorMessage(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new CliError('invalid_context', '--context must be a JSON object, e.g. \'{"order_id": "o-1"}\'');
  return value as Record<string, unknown>;
}

function readContextFile(path: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new CliError('invalid_context', `cannot read --context file ${path}: ${errorMessage(error)}`);
  }
}
