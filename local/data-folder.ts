import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { startEmbeddedCosmos, EMULATOR_KEY } from './cosmos/embedded-cosmos';
import { isProcessAlive, lockDataDir } from './data-lock';
import { RUNNING_STACK_FILE, type RunningStack } from './stack-file';

/**
 * The local tools' way into a data folder (`npm run dlq`, `npm run outbox`): the embedded Cosmos of
 * the stack running on it, or — when none runs — the folder's own Cosmos, started here and holding the
 * folder's lock while the tool works (two processes appending to one journal would corrupt it).
 */
export interface DataFolder {
  readonly cosmos: CosmosClient;
  /** True when a running stack serves the folder (what the tool writes is acted on at once). */
  readonly running: boolean;
  close(): Promise<void>;
}

/** `--data-dir`, else LOCAL_DATA_DIR, else `.local` — as `npm start` chooses it. */
export function dataDirOf(flag: unknown, env: Record<string, string | undefined> = process.env): string {
  return resolve(typeof flag === 'string' ? flag : (env.LOCAL_DATA_DIR ?? '.local'));
}

export async function openDataFolder(dataDir: string): Promise<DataFolder> {
  if (!existsSync(join(dataDir, 'cosmos'))) throw new Error(`no local data in ${dataDir} (has npm start run there?)`);
  // A stack that says it runs here, and does (the file of a killed one stays behind), is asked first:
  // its pid may be this process's own (a test's in-process stack), which the lock would not refuse.
  const stack = await runningStack(dataDir);
  if (stack) return connect(stack);
  let release: () => Promise<void>;
  try {
    release = await lockDataDir(dataDir);
  } catch (err) {
    // Locked by a stack that is still starting, or has just written its file.
    const late = await runningStack(dataDir);
    if (late) return connect(late);
    throw err;
  }
  try {
    const cosmos = await startEmbeddedCosmos({ dataDir: join(dataDir, 'cosmos') });
    const client = new CosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key });
    return {
      cosmos: client,
      running: false,
      close: async () => {
        client.dispose();
        await cosmos.close();
        await release();
      },
    };
  } catch (err) {
    await release();
    throw err;
  }
}

async function runningStack(dataDir: string): Promise<RunningStack | undefined> {
  const file = await readFile(join(dataDir, RUNNING_STACK_FILE), 'utf8').catch(() => undefined);
  if (file === undefined) return undefined;
  const stack = JSON.parse(file) as RunningStack;
  return isProcessAlive(stack.pid) ? stack : undefined;
}

function connect(stack: RunningStack): DataFolder {
  const client = new CosmosClient({ endpoint: stack.cosmosEndpoint, key: EMULATOR_KEY });
  return { cosmos: client, running: true, close: async () => client.dispose() };
}
