import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * The real `npm start` entry as a child process, for tests that kill it: it prints its URL and a
 * token per role, which this parses.
 */
const ROOT = resolve(__dirname, '../..');
export const children: ChildProcess[] = [];

export async function startHost(dir: string): Promise<{ url: string; tokens: Record<string, string>; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOCAL_DATA_DIR: dir,
      LOCAL_HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      APP_ENV: '',
      COSMOS__accountEndpoint: '',
      STORAGE__blobServiceUri: '',
      AUTH_MODE: '',
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
