import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * One local stack per data folder: two processes appending to the same Cosmos journal would corrupt
 * it. The lock file holds the owner's pid; a lock whose process is gone (killed) is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'stack.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (owner && owner !== process.pid && isProcessAlive(owner)) {
        throw new Error(`${dataDir} is in use by process ${owner} (another npm start?); stop it or set LOCAL_DATA_DIR`);
      }
      await rm(file, { force: true });
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

/** Whether a process with this id runs (one we may not signal runs too). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
