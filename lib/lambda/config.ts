import { ENV, runtimeConfig, type RuntimeConfig } from '../contracts/runtime-config.js';

/** Configuration that cannot be used; lists every problem at once. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The settings whose variable holds JSON. */
const JSON_SETTINGS = new Set(['namespaceQueueUrls', 'deadLetterQueues']);

/** Reads and validates the configuration from an environment, once; throws with every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): RuntimeConfig {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, name] of Object.entries(ENV)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    raw[key] = JSON_SETTINGS.has(key) ? parseJson(name, value, problems) : value;
  }
  const parsed = runtimeConfig.safeParse(raw);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `${envNameOf(i.path[0])}: ${i.message}`));
  if (problems.length > 0) throw new ConfigurationError(problems);
  return parsed.data as RuntimeConfig;
}

/** Names the settings a use needs and the configuration lacks, as a ConfigurationError. */
export function requireSettings<K extends keyof RuntimeConfig>(config: RuntimeConfig, keys: readonly K[]): void {
  const missing = keys.filter((k) => config[k] === undefined).map((k) => `${ENV[k as keyof typeof ENV]} is required`);
  if (missing.length > 0) throw new ConfigurationError(missing);
}

/** A default dispatch queue or one per namespace, as a ConfigurationError when there is neither. */
export function requireDispatchQueue(config: RuntimeConfig): void {
  if (!config.dispatchQueueUrl && Object.keys(config.namespaceQueueUrls).length === 0) {
    throw new ConfigurationError([`${ENV.dispatchQueueUrl} or ${ENV.namespaceQueueUrls} is required`]);
  }
}

function parseJson(name: string, value: string, problems: string[]): unknown {
  try {
    return JSON.parse(value);
  } catch {
    problems.push(`${name}: not valid JSON`);
    return undefined;
  }
}

function envNameOf(key: PropertyKey | undefined): string {
  return typeof key === 'string' && key in ENV ? ENV[key as keyof typeof ENV] : String(key);
}
