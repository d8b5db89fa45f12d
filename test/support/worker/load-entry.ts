/**
 * Loads a built Functions entry the way the Azure Functions Node.js worker does — plain `node`, the
 * app's `main` imported, `@azure/functions-core` answered through `Module.prototype.require` — in a
 * child process of its own, and returns what the app registered. Nothing of the local host or of
 * tsx is involved, so this sees exactly what Azure would see of the bundle.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const STAND_IN = fileURLToPath(new URL('./core-stand-in.cjs', import.meta.url));

/** What `@azure/functions` hands to the core API's `registerFunction` (JSON-safe part). */
export interface WorkerFunctionMetadata {
  readonly name: string;
  readonly bindings: Record<string, { type: string; direction: string; [k: string]: unknown }>;
  readonly retryOptions?: unknown;
}

export interface LoadedEntry {
  readonly functions: readonly WorkerFunctionMetadata[];
  readonly hooks: readonly string[];
  readonly programmingModel: { name: string; version: string } | undefined;
}

export interface HttpFunction {
  readonly name: string;
  readonly route: string;
  /** Upper case; undefined = every method. */
  readonly methods: readonly string[] | undefined;
}

/** Imports the entry (or several modules, in order) in a child `node`; rejects when one fails to load. */
export async function loadEntryAsWorker(
  entry: string | readonly string[],
  env: Record<string, string> = {},
): Promise<LoadedEntry> {
  const dir = mkdtempSync(join(tmpdir(), 'worker-load-'));
  const out = join(dir, 'registrations.json');
  const urls = (typeof entry === 'string' ? [entry] : entry).map((f) => pathToFileURL(f).href);
  try {
    const script = `for (const url of ${JSON.stringify(urls)}) await import(url).catch((e) => { console.error(url, e); process.exit(1); });`;
    await promisify(execFile)(process.execPath, ['--require', STAND_IN, '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...env, WORKER_REGISTRATIONS_FILE: out },
      timeout: 30_000,
    });
    return JSON.parse(readFileSync(out, 'utf8')) as LoadedEntry;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The HTTP functions among the registrations: name, route template (the name when none), methods. */
export function httpFunctions(entry: LoadedEntry): HttpFunction[] {
  const result: HttpFunction[] = [];
  for (const f of entry.functions) {
    const trigger = Object.values(f.bindings).find((b) => b.direction === 'in' && b.type === 'httpTrigger');
    if (!trigger) continue;
    const methods =
      Array.isArray(trigger.methods) && trigger.methods.length > 0
        ? trigger.methods.map((m) => String(m).toUpperCase())
        : undefined;
    result.push({ name: f.name, route: typeof trigger.route === 'string' ? trigger.route : f.name, methods });
  }
  return result;
}
