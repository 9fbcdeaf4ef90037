import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const LIB = resolve(import.meta.dirname, '../../../lib');
const LAYERS = ['domain', 'contracts', 'ports', 'orchestration', 'worker', 'adapters', 'runtime'] as const;
type Layer = (typeof LAYERS)[number];

/** Which lib layers each layer may import, and which packages. */
const RULES: Record<Layer, { layers: Layer[]; packages: RegExp }> = {
  domain: { layers: ['domain'], packages: /^$/ },
  contracts: { layers: ['domain', 'contracts'], packages: /^(zod|ajv|ajv-formats|ajv\/.*|node:buffer)$/ },
  ports: { layers: ['domain', 'contracts', 'ports'], packages: /^$/ },
  orchestration: { layers: ['domain', 'contracts', 'ports', 'orchestration'], packages: /^zod$/ },
  worker: { layers: ['domain', 'contracts', 'ports', 'worker'], packages: /^(zod|node:crypto|node:timers\/promises)$/ },
  adapters: { layers: ['domain', 'contracts', 'ports', 'adapters'], packages: /./ },
  runtime: { layers: [...LAYERS], packages: /./ },
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
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
      const ok = spec.startsWith('.') ? target === null || RULES[layer].layers.includes(target) : RULES[layer].packages.test(spec);
      if (!ok) out.push(`${relative(root, file)} -> ${spec}`);
    }
  }
  return out;
}

describe('lib/ layering', () => {
  it('has no import that goes against the layer order (domain pure, use cases free of adapters and SDKs)', () => {
    expect(violations()).toEqual([]);
  });

  it('catches a domain file importing an adapter or an SDK, and a use case importing pg', () => {
    const root = mkdtempSync(join(tmpdir(), 'layering-'));
    try {
      for (const dir of ['domain', 'adapters', 'orchestration']) mkdirSync(join(root, dir));
      writeFileSync(join(root, 'adapters', 'store.ts'), 'export const x = 1;\n');
      writeFileSync(join(root, 'domain', 'bad.ts'), "import { SQSClient } from '@aws-sdk/client-sqs';\nimport { x } from '../adapters/store.js';\n");
      writeFileSync(join(root, 'orchestration', 'bad.ts'), "import pg from 'pg';\nimport type { y } from '../domain/bad.js';\n");
      expect(violations(root).sort()).toEqual(['domain/bad.ts -> ../adapters/store.js', 'domain/bad.ts -> @aws-sdk/client-sqs', 'orchestration/bad.ts -> pg']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
