/**
 * The one way the deployment scripts call the Azure CLI. Everything goes through `az` found on PATH,
 * so test/infra/rollout.test.ts can put a fake `az` first on PATH and run the scripts unchanged, as the
 * pipeline runs them (`node --experimental-strip-types`, no npm install: node: builtins only).
 */
import { spawnSync } from 'node:child_process';

export interface AzResult {
  /** Exit code; null when the process could not start or was killed. */
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export type Az = (args: readonly string[]) => AzResult;

/** Runs `az <args>` and waits for it; its output is returned, not printed. */
export const az: Az = (args) => {
  const run = spawnSync('az', [...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return {
    status: run.status,
    stdout: run.stdout ?? '',
    stderr: `${run.stderr ?? ''}${run.error ? `\n${run.error.message}` : ''}`,
  };
};

/** The last lines of a failed call's output, for the log line that says why. */
export function tail(result: AzResult, lines = 2): string {
  const all = `${result.stderr}\n${result.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return `exit ${result.status ?? 'none'}: ${all.slice(-lines).join(' | ').slice(0, 400)}`;
}

/** `az <args> --output json`, parsed; throws with the command and its error output when it fails. */
export function azJson<T>(run: Az, args: readonly string[]): T {
  const result = run([...args, '--output', 'json']);
  if (result.status !== 0) throw new Error(`az ${args.slice(0, 3).join(' ')} failed (${tail(result)})`);
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`az ${args.slice(0, 3).join(' ')} answered no JSON: ${result.stdout.slice(0, 200)}`);
  }
}
