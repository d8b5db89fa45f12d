import { parseArgs } from 'node:util';
import { z } from 'zod';
import { OUTBOX_CONTAINERS, createFeedStore, createOutbox, createServiceBusPublisher } from '../functions/composition-root';
import { rewakeOpenLanes } from '../shared/application/feed/rewake';
import type { OpenDeliveryScan } from '../shared/application/feed/ports';
import type { CosmosClient } from '@azure/cosmos';
import { CONTAINERS } from '../shared/adapters/cosmos/containers';
import { RELAYED_EVENT_TTL_SECONDS } from '../shared/adapters/cosmos/outbox';
import type { RepublishSource } from '../shared/application/events/republish';
import type { MessagePublisher } from '../shared/application/messaging';
import { settingsSchema } from '../shared/platform/config';
import { systemClock } from '../shared/platform/ids';
import { OUTBOX_USAGE, parseOutboxCommand, runOutboxCommand, UsageError } from './outbox-commands';

/**
 * `npm run outbox` as a function (scripts/outbox.ts is the process around it; the failover test calls
 * this). The target:
 *
 * - **Azure** when `COSMOS__accountEndpoint` is set: the app's own settings (`COSMOS__accountEndpoint`,
 *   `COSMOS_PREFERRED_REGIONS`, `SERVICEBUS__fullyQualifiedNamespace` — the Geo-DR alias in prod) and
 *   the app's own composition code (`createOutbox`, `createServiceBusPublisher`, the Cosmos client
 *   factory) with DefaultAzureCredential: the operator's `az login`.
 * - **the local data folder** otherwise (`--data-dir`, LOCAL_DATA_DIR, `.local`): through the running
 *   stack's Cosmos, or the folder's own (local/data-folder.ts, as `npm run dlq`); the republished
 *   messages go to the durable local bus, delivered at once by a running stack, else at its next start.
 */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The settings the tool reads in Azure, with the app's own validation of each. */
const azureSettings = z.object({
  COSMOS__accountEndpoint: settingsSchema.shape.COSMOS__accountEndpoint,
  COSMOS_PREFERRED_REGIONS: settingsSchema.shape.COSMOS_PREFERRED_REGIONS,
  SERVICEBUS__fullyQualifiedNamespace: settingsSchema.shape.SERVICEBUS__fullyQualifiedNamespace,
});

interface Target {
  readonly sources: readonly RepublishSource[];
  readonly feed: OpenDeliveryScan;
  publisher(): Promise<MessagePublisher>;
  close(): Promise<void>;
  readonly name: string;
}

/** What the commands read, built by the app's own composition code. */
async function stores(cosmos: CosmosClient): Promise<Pick<Target, 'sources' | 'feed'>> {
  return {
    sources: await Promise.all(OUTBOX_CONTAINERS.map(async (name) => ({ name, outbox: await createOutbox(cosmos, name) }))),
    feed: await createFeedStore(cosmos),
  };
}

async function azureTarget(env: Record<string, string | undefined>): Promise<Target> {
  const parsed = azureSettings.safeParse(
    Object.fromEntries(Object.keys(azureSettings.shape).map((k) => [k, env[k] === '' ? undefined : env[k]])),
  );
  if (!parsed.success)
    throw new UsageError(`invalid settings: ${parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ')}`);
  const settings = parsed.data;
  const { createCosmosClient } = await import('../shared/adapters/cosmos/client');
  const cosmos = await createCosmosClient({
    endpoint: settings.COSMOS__accountEndpoint,
    preferredRegions: settings.COSMOS_PREFERRED_REGIONS,
  });
  const namespace = settings.SERVICEBUS__fullyQualifiedNamespace;
  return {
    name: `Azure (${new URL(settings.COSMOS__accountEndpoint).hostname}${namespace ? `, ${namespace}` : ''})`,
    ...(await stores(cosmos)),
    publisher: async () => {
      if (!namespace) throw new UsageError('republish needs SERVICEBUS__fullyQualifiedNamespace (the Geo-DR alias in prod)');
      return createServiceBusPublisher(namespace);
    },
    close: async () => cosmos.dispose(),
  };
}

async function localTarget(dataDirFlag: unknown, env: Record<string, string | undefined>): Promise<Target> {
  const [{ dataDirOf, openDataFolder }, { createLocalBus }] = await Promise.all([
    import('../local/data-folder'),
    import('../local/bus/local-bus'),
  ]);
  const dataDir = dataDirOf(dataDirFlag, env);
  const folder = await openDataFolder(dataDir);
  const bus = createLocalBus({ container: folder.cosmos.database(CONTAINERS.bus.database).container(CONTAINERS.bus.id) });
  return {
    name: `${dataDir}${folder.running ? ' (running stack)' : ''}`,
    ...(await stores(folder.cosmos)),
    publisher: async () => bus.publisher,
    close: () => folder.close(),
  };
}

export async function outboxCli(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
): Promise<CliResult> {
  let command: ReturnType<typeof parseOutboxCommand>;
  try {
    command = parseOutboxCommand(argv);
  } catch (err) {
    return { code: 2, stdout: '', stderr: `${(err as Error).message}\n${OUTBOX_USAGE}\n` };
  }
  const { values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    options: { 'data-dir': { type: 'string' } },
  });
  let target: Target;
  try {
    target =
      env.COSMOS__accountEndpoint && values['data-dir'] === undefined
        ? await azureTarget(env)
        : await localTarget(values['data-dir'], env);
  } catch (err) {
    return { code: err instanceof UsageError ? 2 : 1, stdout: '', stderr: `${(err as Error).message}\n` };
  }
  try {
    const out = await runOutboxCommand(command, {
      sources: target.sources,
      publisher: target.publisher,
      now: () => systemClock.now(),
      retentionSeconds: RELAYED_EVENT_TTL_SECONDS,
      rewakeFeedLanes: (publisher) =>
        rewakeOpenLanes(
          { scan: target.feed, publisher, clock: systemClock },
          { tag: systemClock.now().toISOString(), correlationId: `outbox-republish-${Date.now()}` },
        ),
    });
    return { code: 0, stdout: `${out}\n`, stderr: command.json ? '' : `target: ${target.name}\n` };
  } catch (err) {
    if (err instanceof UsageError) return { code: 2, stdout: '', stderr: `${err.message}\n${OUTBOX_USAGE}\n` };
    return { code: 1, stdout: '', stderr: `outbox ${command.command} failed: ${(err as Error).message}\n` };
  } finally {
    await target.close();
  }
}
