import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTRACT_NAMES, JSON_SCHEMA_DIR, jsonSchemaFileName, renderJsonSchema } from '../contracts/json-schemas.js';

/** Writes every contract's JSON Schema into `dir` (created when missing); returns the paths written. */
export function writeJsonSchemas(dir: string = JSON_SCHEMA_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  return CONTRACT_NAMES.map((name) => {
    const path = join(dir, jsonSchemaFileName(name));
    writeFileSync(path, renderJsonSchema(name));
    return path;
  });
}

/** `npm run schemas`: regenerates docs/protocol/schemas from the zod schemas. */
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const path of writeJsonSchemas()) console.log(`wrote ${path}`);
}
