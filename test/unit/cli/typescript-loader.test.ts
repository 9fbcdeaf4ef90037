import { describe, expect, it } from 'vitest';
import { needsTypeScriptLoader } from '../../../lib/cli/typescript-loader.js';

/** tsx is registered only to import a TypeScript handlers module into a CLI that is not itself TypeScript. */

describe('needsTypeScriptLoader', () => {
  it('a TypeScript module into the compiled CLI needs it', () => {
    expect(needsTypeScriptLoader('/app/handlers.ts', 'file:///pkg/dist/lib/cli/typescript-loader.js')).toBe(true);
    expect(needsTypeScriptLoader('/app/handlers.mts', 'file:///pkg/dist/lib/cli/typescript-loader.js')).toBe(true);
  });

  it('a JavaScript module, or a CLI already running as TypeScript, does not', () => {
    expect(needsTypeScriptLoader('/app/handlers.mjs', 'file:///pkg/dist/lib/cli/typescript-loader.js')).toBe(false);
    expect(needsTypeScriptLoader('/app/handlers.ts', 'file:///pkg/lib/cli/typescript-loader.ts')).toBe(false);
    expect(needsTypeScriptLoader('/app/handlers.ts')).toBe(false);
  });
});
