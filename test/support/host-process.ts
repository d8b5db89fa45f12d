import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { RUNNING_STACK_FILE, type RunningStack } from '../../local/stack-file';

const run = promisify(execFile);

/**
 * The real `npm start` entry as a child process, for tests that kill it: it prints its URL and a
 * token per role, which this parses.
 */
const ROOT = resolve(__dirname, '../..');
export const children: ChildProcess[] = [];

export async function startHost(
  dir: string,
  env: Record<string, string> = {},
  opts: { processGroup?: boolean } = {},
): Promise<{ url: string; tokens: Record<string, string>; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    // Its own process group, so that `killGroup` takes the whole stack and whatever it started.
    detached: opts.processGroup === true,
    env: {
      ...process.env,
      LOCAL_DATA_DIR: dir,
      LOCAL_HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      APP_ENV: '',
      COSMOS__accountEndpoint: '',
      STORAGE__blobServiceUri: '',
      AUTH_MODE: '',
      // Set by the test process's own stack, if any: the child picks its own.
      SANDBOX_DIR: '',
      // The demo plan is seeded paused: its orders (and their messages) would change what tests count.
      DEMO_PLAN: 'paused',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start in time:\n${out}\n${err}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /listening on (http:\/\/[^\s/]+)\/api/.exec(out)?.[1];
      const tokens = Object.fromEntries(
        [...out.matchAll(/^ {2}(admin|operator|client|provider)\s+(\S+)$/gm)].map((m) => [m[1], m[2]]),
      );
      if (url && Object.keys(tokens).length === 4) {
        clearTimeout(timer);
        resolvePromise({ url, tokens, child });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code}:\n${out}\n${err}`));
    });
  });
}

export function kill(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

/** SIGKILL to the process group of a host started with `processGroup: true`. */
export function killGroup(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once('exit', () => r());
    process.kill(-child.pid!, 'SIGKILL');
  });
}

/** What the running host wrote about itself in its data folder (sandbox URLs, outboxes). */
export async function runningStack(dir: string): Promise<RunningStack> {
  return JSON.parse(await readFile(join(dir, RUNNING_STACK_FILE), 'utf8')) as RunningStack;
}

/** The dead-lettered messages of the host on this folder, read with `npm run dlq -- list --json`. */
export async function deadLettersOf(dir: string): Promise<unknown[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'local/dlq.ts', 'list', '--json', '--data-dir', dir], {
    cwd: ROOT,
  });
  return JSON.parse(stdout) as unknown[];
}
