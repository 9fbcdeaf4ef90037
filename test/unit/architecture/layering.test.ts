import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const LIB = join(ROOT, 'lib');
const LAYERS = [
  'domain',
  'contracts',
  'ports',
  'orchestration',
  'worker',
  'adapters',
  'lambda',
  'container',
  'local',
  'conformance',
  'cli',
] as const;
type Layer = (typeof LAYERS)[number];

const USE_CASES_AND_ADAPTERS: Layer[] = ['domain', 'contracts', 'ports', 'orchestration', 'worker', 'adapters'];

/**
 * Which lib layers each layer may import, and which packages. Above the adapters sit the rooms of
 * the composition roots: cli -> local -> lambda and cli -> container -> lambda, never back
 * (lambda imports neither local, container nor cli; local and container not each other nor cli).
 */
const RULES: Record<Layer, { layers: Layer[]; packages: RegExp }> = {
  domain: { layers: ['domain'], packages: /^$/ },
  contracts: { layers: ['domain', 'contracts'], packages: /^(zod|ajv|ajv-formats|ajv\/.*|node:buffer)$/ },
  ports: { layers: ['domain', 'contracts', 'ports'], packages: /^$/ },
  orchestration: { layers: ['domain', 'contracts', 'ports', 'orchestration'], packages: /^zod$/ },
  worker: { layers: ['domain', 'contracts', 'ports', 'worker'], packages: /^(zod|node:crypto|node:timers\/promises)$/ },
  adapters: { layers: ['domain', 'contracts', 'ports', 'adapters'], packages: /./ },
  lambda: { layers: [...USE_CASES_AND_ADAPTERS, 'lambda'], packages: /./ },
  container: { layers: [...USE_CASES_AND_ADAPTERS, 'lambda', 'container'], packages: /./ },
  local: { layers: [...USE_CASES_AND_ADAPTERS, 'lambda', 'local'], packages: /./ },
  // The conformance kit plays the engine's side against a worker process: it builds on the local AWS resources.
  conformance: { layers: [...USE_CASES_AND_ADAPTERS, 'lambda', 'local', 'conformance'], packages: /./ },
  cli: { layers: [...LAYERS], packages: /./ },
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [
    ...source.matchAll(
      /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    ),
  ].map((m) => (m[1] ?? m[2])!);
}

function layerOf(file: string, root: string): Layer | null {
  const top = relative(root, file).split('/')[0] as Layer;
  return LAYERS.includes(top) ? top : null;
}

/** Every import that breaks the layering, as "file -> import". */
export function violations(root = LIB): string[] {
  const out: string[] = [];
  for (const file of files(root)) {
    const layer = layerOf(file, root);
    if (!layer) continue;
    for (const spec of imports(file)) {
      const target = spec.startsWith('.') ? layerOf(resolve(dirname(file), spec), root) : null;
      const ok = spec.startsWith('.')
        ? target === null || RULES[layer].layers.includes(target)
        : RULES[layer].packages.test(spec);
      if (!ok) out.push(`${relative(root, file)} -> ${spec}`);
    }
  }
  return out;
}

/** The files a file imports by relative path (type-only imports too), as `.ts` paths. */
function relativeImports(file: string): string[] {
  return imports(file)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts'))
    .sort();
}

/**
 * The import cycles among the `.ts` files under `dirs`: a depth-first search over the relative
 * imports reports a cycle for each import that leads back to a file still on its path, as the chain
 * of files (relative to `base`) from the cycle's first file in sort order back to it. A graph with
 * any cycle reports at least one.
 */
export function importCycles(dirs: readonly string[], base: string): string[] {
  const graph = new Map(dirs.flatMap(files).map((file) => [file, relativeImports(file)] as const));
  const state = new Map<string, 'on path' | 'done'>();
  const path: string[] = [];
  const cycles = new Set<string>();
  const visit = (file: string): void => {
    state.set(file, 'on path');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'on path') cycles.add(chain(path.slice(path.indexOf(next)), base));
      else if (!state.has(next) && graph.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return [...cycles].sort();
}

/** `a -> b -> c -> a`, starting at the file first in sort order, so one cycle reads one way. */
function chain(cycle: readonly string[], base: string): string {
  const names = cycle.map((file) => relative(base, file));
  const start = names.indexOf([...names].sort()[0]!);
  const rotated = [...names.slice(start), ...names.slice(0, start)];
  return [...rotated, rotated[0]].join(' -> ');
}

/** Writes `tree` (path -> source) under a scratch directory, runs `check` on it, removes it. */
function withScratchTree<T>(tree: Record<string, string>, check: (root: string) => T): T {
  const root = mkdtempSync(join(tmpdir(), 'layering-'));
  try {
    for (const [path, source] of Object.entries(tree)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), source);
    }
    return check(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('lib/ layering', () => {
  it('has no import that goes against the layer order (domain pure, use cases free of adapters and SDKs, rooms never import back)', () => {
    expect(violations()).toEqual([]);
  });

  it('catches a domain file importing an adapter or an SDK, and a use case importing pg', () => {
    const tree = {
      'adapters/store.ts': 'export const x = 1;\n',
      'domain/bad.ts': "import { SQSClient } from '@aws-sdk/client-sqs';\nimport { x } from '../adapters/store.js';\n",
      'orchestration/bad.ts': "import pg from 'pg';\nimport type { y } from '../domain/bad.js';\n",
    };
    expect(withScratchTree(tree, (root) => violations(root).sort())).toEqual([
      'domain/bad.ts -> ../adapters/store.js',
      'domain/bad.ts -> @aws-sdk/client-sqs',
      'orchestration/bad.ts -> pg',
    ]);
  });

  it('catches lambda importing local, local importing cli and container importing local; allows cli -> local -> lambda -> adapters', () => {
    const tree = {
      'adapters/queue.ts': 'export const queue = 1;\n',
      'lambda/config.ts': "import { queue } from '../adapters/queue.js';\nexport const config = queue;\n",
      'lambda/handler.ts': "import { config } from './config.js';\nimport { runner } from '../local/runner.js';\n",
      'local/runner.ts': "import { config } from '../lambda/config.js';\nexport const runner = config;\n",
      'local/bad.ts': "import { main } from '../cli/main.js';\n",
      'container/process.ts':
        "import { config } from '../lambda/config.js';\nimport { runner } from '../local/runner.js';\n",
      'cli/main.ts':
        "import { runner } from '../local/runner.js';\nimport { config } from '../lambda/config.js';\nimport { queue } from '../adapters/queue.js';\nexport const main = 1;\n",
    };
    expect(withScratchTree(tree, (root) => violations(root).sort())).toEqual([
      'container/process.ts -> ../local/runner.js',
      'lambda/handler.ts -> ../local/runner.js',
      'local/bad.ts -> ../cli/main.js',
    ]);
  });
});

describe('import cycles', () => {
  it('has none in lib/, cdk/ or functions/', () => {
    expect(
      importCycles(
        ['lib', 'cdk', 'functions'].map((dir) => join(ROOT, dir)),
        ROOT,
      ),
    ).toEqual([]);
  });

  it('reports a two-file and a three-file cycle (type-only imports count) as chains, and not a diamond', () => {
    const tree = {
      'lib/a/one.ts': "import { two } from './two.js';\nexport const one = 1;\n",
      'lib/a/two.ts': "import { one } from './one.js';\nexport const two = 2;\n",
      'lib/b/x.ts': "import { y } from './y.js';\nexport const x = 1;\n",
      'lib/b/y.ts': "import type { Z } from '../../cdk/z.js';\nexport const y = 1;\n",
      'cdk/z.ts': "export { x } from '../lib/b/x.js';\nexport type Z = number;\n",
      'lib/d/top.ts': "import { left } from './left.js';\nimport { right } from './right.js';\n",
      'lib/d/left.ts': "import { bottom } from './bottom.js';\nexport const left = bottom;\n",
      'lib/d/right.ts': "import { bottom } from './bottom.js';\nexport const right = bottom;\n",
      'lib/d/bottom.ts': "import { z } from 'zod';\nexport const bottom = z;\n",
    };
    expect(withScratchTree(tree, (root) => importCycles([join(root, 'lib'), join(root, 'cdk')], root))).toEqual([
      'cdk/z.ts -> lib/b/x.ts -> lib/b/y.ts -> cdk/z.ts',
      'lib/a/one.ts -> lib/a/two.ts -> lib/a/one.ts',
    ]);
  });
});
