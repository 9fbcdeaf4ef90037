#!/usr/bin/env node
// `npm run build` (and `prepack`, so `npm pack` and `npm publish` build too): ESM JavaScript, declarations
// and source maps in dist/ from tsconfig.build.json, plus the files the compiled code reads at run time, each copied to
// the same place relative to its reader as in the sources (the SQL migrations beside migrate.js, the starter that
// `tasker init` writes, examples/starter two levels above lib/cli). dist/ is emptied first, so nothing of a deleted source survives.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const ASSETS = ['lib/adapters/postgres/migrations', 'examples/starter'];

rmSync(`${root}dist`, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
for (const asset of ASSETS) cpSync(`${root}${asset}`, `${root}dist/${asset}`, { recursive: true });
