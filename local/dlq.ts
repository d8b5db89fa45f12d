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
import { parseArgs } from 'node:util';
import type { CosmosClient } from '@azure/cosmos';
import { CONTAINERS } from '../shared/adapters/cosmos/containers';
import { DLQ_USAGE, runDlqCommand, UsageError } from './bus/dlq-commands';
import { createLocalBus, type LocalBus } from './bus/local-bus';
import { dataDirOf, openDataFolder } from './data-folder';

/** The bus of the stack running on this folder, or of the folder itself (locked while we work). */
async function openBus(dataDir: string): Promise<{ bus: LocalBus; close(): Promise<void> }> {
  const container = (client: CosmosClient) => client.database(CONTAINERS.bus.database).container(CONTAINERS.bus.id);
  const folder = await openDataFolder(dataDir);
  return { bus: createLocalBus({ container: container(folder.cosmos) }), close: () => folder.close() };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { 'data-dir': { type: 'string' } },
  });
  const dataDir = dataDirOf(values['data-dir']);
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
