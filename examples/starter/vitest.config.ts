import { defineConfig } from 'vitest/config';

// The embedded runtime starts PostgreSQL (PGlite) in the test process: give it time on a slow machine.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 120_000 } });
