import { existsSync, readFileSync } from 'node:fs';

/**
 * Applies `local.settings.json` (the Functions convention: `{ "Values": { ... } }`) to the process
 * environment without overriding what is already set, as Core Tools does. A setting present here or
 * in the environment switches its adapter to that endpoint instead of the embedded one.
 */
export function applyLocalSettings(file: string, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> };
  const applied: string[] = [];
  for (const [key, value] of Object.entries(parsed.Values ?? {})) {
    if (env[key] === undefined && value !== '') {
      env[key] = value;
      applied.push(key);
    }
  }
  return applied;
}
