/**
 * `npm run dlq -- list|show|replay` — the local dead-letter queues (the Portal's Service Bus Explorer
 * does this in Azure; see docs/operations.md).
 *
 *   npm run dlq -- list   [--subscription <name>] [--json]
 *   npm run dlq -- show   <messageId> [--subscription <name>]
 *   npm run dlq -- replay <messageId>|--all [--subscription <name>]
 *   common: [--data-dir .local]
 *
 * While `npm start` runs on the same data folder this talks to its embedded Cosmos (so a replayed
 * message is delivered at once); otherwise it opens the data folder itself, holding its lock.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CosmosClient } from '@azure/cosmos';
import { CONTAINERS } from '../shared/adapters/cosmos/containers';
import { DLQ_USAGE, runDlqCommand, UsageError } from './bus/dlq-commands';
import { createLocalBus, type LocalBus } from './bus/local-bus';
import { startEmbeddedCosmos, EMULATOR_KEY } from './cosmos/embedded-cosmos';
import { lockDataDir } from './data-lock';
import { RUNNING_STACK_FILE, type RunningStack } from './stack-file';

/** The bus of the stack running on this folder, or of the folder itself (locked while we work). */
async function openBus(dataDir: string): Promise<{ bus: LocalBus; close(): Promise<void> }> {
  const container = (client: CosmosClient) => client.database(CONTAINERS.bus.database).container(CONTAINERS.bus.id);
  if (!existsSync(join(dataDir, 'cosmos'))) throw new Error(`no local data in ${dataDir} (has npm start run there?)`);
  let release: () => Promise<void>;
  try {
    release = await lockDataDir(dataDir);
  } catch (err) {
    // The folder is in use: by a running stack, which says where its Cosmos listens.
    const file = await readFile(join(dataDir, RUNNING_STACK_FILE), 'utf8').catch(() => {
      throw err;
    });
    const running = JSON.parse(file) as RunningStack;
    const client = new CosmosClient({ endpoint: running.cosmosEndpoint, key: EMULATOR_KEY });
    return { bus: createLocalBus({ container: container(client) }), close: async () => client.dispose() };
  }
  try {
    const cosmos = await startEmbeddedCosmos({ dataDir: join(dataDir, 'cosmos') });
    const client = new CosmosClient({ endpoint: cosmos.endpoint, key: cosmos.key });
    return {
      bus: createLocalBus({ container: container(client) }),
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

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { 'data-dir': { type: 'string' } },
  });
  const dataDir = resolve(typeof values['data-dir'] === 'string' ? values['data-dir'] : (process.env.LOCAL_DATA_DIR ?? '.local'));
  const { bus, close } = await openBus(dataDir);
  try {
    process.stdout.write((await runDlqCommand(argv, bus)) + '\n');
    return 0;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${err instanceof UsageError ? DLQ_USAGE + '\n' : ''}`);
    return 2;
  } finally {
    await close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`dlq failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
