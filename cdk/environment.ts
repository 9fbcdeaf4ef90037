import { ENV } from '../lib/contracts/runtime-config.js';

export type EnvKey = keyof typeof ENV;

/** Environment variables by their `ENV` key, so no name is ever retyped here. Undefined values are left out. */
export function envOf(values: Partial<Record<EnvKey, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) env[ENV[key as EnvKey]] = value;
  }
  return env;
}

/** Stack traces through the source maps of the bundle. */
export const NODE_OPTIONS_ENV: Readonly<Record<string, string>> = { NODE_OPTIONS: '--enable-source-maps' };

/**
 * Node.js 20+ Lambda runtimes no longer trust the Amazon RDS certificate authorities by default; the runtime ships them in
 * this file. Needed to verify TLS to an RDS instance (RDS Proxy's certificate chains to a public root anyway).
 */
export const RDS_CA_ENV: Readonly<Record<string, string>> = { NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' };

/**
 * A variable the runtime config may define but does not yet: `databaseHost` (the host to use instead of the secret's, to
 * connect through RDS Proxy) and `templatesDir` (where the migration function finds the bundled task templates). Until
 * `ENV` names them, the engine leaves them unset.
 */
export function optionalEnvKey(key: 'databaseHost' | 'templatesDir'): EnvKey | undefined {
  return key in ENV ? (key as EnvKey) : undefined;
}
