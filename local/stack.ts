import { mkdir, rm, writeFile } from 'node:fs/promises';
import { startSandboxes, type Sandboxes } from './sandboxes';
import { loadOrCreateSendGridWebhookKey } from './webhook-keys';
import { join } from 'node:path';
import type { Role } from '../shared/domain/access/principal';
import type { RetrySchedule } from '../shared/application/events/retry';
import type { FeedSchedule } from '../shared/domain/feed/delivery';
import { createLogger, type Logger } from '../shared/platform/logger';
import { loadConfig, redact, resetConfigForTests } from '../shared/platform/config';
import { startAzurite, type AzuriteInstance } from './azurite';
import { startEmbeddedCosmos, type EmbeddedCosmos } from './cosmos/embedded-cosmos';
import { createConsole } from './console';
import { lockDataDir } from './data-lock';
import { DEV_AUDIENCE, DEV_ISSUER, loadOrCreateDevIssuer } from './dev-issuer';
import { installFunctionsCore } from './functions-core';
import { runAppStartHooks, startHttpHost } from './host/http-host';
import { DEMO, seedDemoData } from './seed';
import type { LocalBus } from './bus/local-bus';
import { outboxesOf, RUNNING_STACK_FILE, type RunningStack } from './stack-file';
import { createBus, startWorkflowRuntime } from './workflow-runtime';

/** The Jelou webhook's secret on the embedded stack (tests and the WhatsApp sandbox sign with it). */
export const LOCAL_JELOU_WEBHOOK_SECRET = 'local-jelou-webhook-secret';

export interface LocalStackOptions {
  /** Where every local service keeps its data (default `.local`). */
  readonly dataDir: string;
  /** HTTP port of the API (7071 like the Functions host; 0 = any free port). */
  readonly port: number;
  readonly host?: string;
  readonly logger?: Logger;
  /**
   * The schedule on which the workflows re-send a message that failed with "not now"
   * (`AdapterOverrides.retrySchedule`, read at every failure). Unset — as under `npm start` and in
   * Azure — it is `RETRY_SCHEDULE`. Tests shorten it to spend a message's 10 attempts in seconds
   * (docs/local-host.md, Retrying failed messages).
   */
  readonly retrySchedule?: () => RetrySchedule;
  /** The client feed's retry schedule (docs/webhooks.md); tests shorten it. Unset: FEED_SCHEDULE. */
  readonly feedSchedule?: () => FeedSchedule;
}

export interface LocalStack {
  readonly url: string;
  readonly port: number;
  /** A development token per role, for the demo users. */
  readonly tokens: Readonly<Record<Role, string>>;
  readonly seeded: boolean;
  /** The embedded services this stack started (absent when a real endpoint was configured). */
  readonly services: {
    readonly cosmos?: EmbeddedCosmos;
    readonly azurite?: AzuriteInstance;
    readonly bus?: LocalBus;
    readonly sandboxes?: Sandboxes;
  };
  close(): Promise<void>;
}

type Closer = () => Promise<void>;

/**
 * The embedded Azure stack behind `npm start` and the end-to-end tests: Cosmos (journaled), Azurite,
 * the development token issuer, the app's own entry (`functions/index.ts`) and the HTTP host.
 * A setting already present in the environment (or local.settings.json) wins: that adapter then
 * talks to the real service and the embedded one is not started.
 */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const logger = opts.logger ?? createLogger({ fields: { app: 'algesta-local' } });
  const env = process.env;
  const closers: Closer[] = [];
  const services: { cosmos?: EmbeddedCosmos; azurite?: AzuriteInstance; bus?: LocalBus; sandboxes?: Sandboxes } = {};
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => logger.error('close failed', { error: err }));
  };
  try {
    await mkdir(opts.dataDir, { recursive: true });
    closers.push(await lockDataDir(opts.dataDir));
    if (!env.APP_ENV) env.APP_ENV = 'local';

    if (!env.COSMOS__accountEndpoint) {
      const cosmos = await startEmbeddedCosmos({ dataDir: join(opts.dataDir, 'cosmos') });
      closers.push(() => cosmos.close());
      services.cosmos = cosmos;
      env.COSMOS__accountEndpoint = cosmos.endpoint;
      env.COSMOS_KEY = cosmos.key;
      logger.info('embedded Cosmos DB started', { endpoint: cosmos.endpoint });
    }
    if (!env.STORAGE__blobServiceUri) {
      const azurite = await startAzurite({ dataDir: join(opts.dataDir, 'azurite') });
      closers.push(() => azurite.close());
      services.azurite = azurite;
      env.STORAGE__blobServiceUri = azurite.blobEndpoint;
      env.STORAGE_CONNECTION_STRING = azurite.connectionString;
      logger.info('Azurite started', { blob: azurite.blobEndpoint, queue: azurite.queueEndpoint });
    }
    if (!env.SANDBOX_DIR) env.SANDBOX_DIR = join(opts.dataDir, 'sandbox');
    // The partners' sandboxes (docs/integrations.md), unless real partners are configured: their
    // settings and secrets (`SECRET_*`) fill only what is not set already.
    let sandboxes: Sandboxes | undefined;
    if (!env.DOCUSIGN_API_BASE_URL && !env.ASANA_BASE_URL && !env.ASSETS_BASE_URL && !env.QSYSTEMS_BASE_URL) {
      sandboxes = await startSandboxes({ dataDir: join(opts.dataDir, 'sandboxes') });
      closers.push(() => (sandboxes as Sandboxes).close());
      for (const [k, v] of Object.entries(sandboxes.settings)) if (env[k] === undefined) env[k] = v;
      services.sandboxes = sandboxes;
    }
    if (!env.JELOU_WEBHOOK_SECRET) env.JELOU_WEBHOOK_SECRET = LOCAL_JELOU_WEBHOOK_SECRET;
    if (!env.SENDGRID_WEBHOOK_PUBLIC_KEY) {
      env.SENDGRID_WEBHOOK_PUBLIC_KEY = (await loadOrCreateSendGridWebhookKey(join(opts.dataDir, 'sendgrid-webhook'))).publicKey;
    }
    const issuerDir = join(opts.dataDir, 'dev-issuer');
    const issuer = await loadOrCreateDevIssuer(issuerDir);
    if (!env.AUTH_MODE) {
      env.AUTH_MODE = 'development';
      env.AUTH_ISSUER = DEV_ISSUER;
      env.AUTH_AUDIENCE = DEV_AUDIENCE;
      env.AUTH_DEV_KEY_DIR = issuerDir;
    }

    resetConfigForTests();
    const settings = loadConfig(env);
    logger.info('configuration', redact(settings));

    // The programming model must see our core API before the entry registers anything.
    const core = installFunctionsCore();
    await import('../functions/index');
    const { getRoot, provideAdapters } = await import('../functions/composition-root');
    // Without a Service Bus namespace the durable local bus carries the events; the root gets its
    // publisher from here because the Azure entry contains no local code.
    let bus: LocalBus | undefined;
    const localBus = !settings.SERVICEBUS__fullyQualifiedNamespace;
    if (localBus) {
      provideAdapters({
        publisher: async () => {
          if (!bus) throw new Error('the local bus is not started yet');
          return bus.publisher;
        },
        ...(opts.retrySchedule ? { retrySchedule: opts.retrySchedule } : {}),
        ...(opts.feedSchedule ? { feedSchedule: opts.feedSchedule } : {}),
      });
    }
    const root = getRoot();
    const seeded = await provisionAndSeed(root, logger);
    if (localBus) {
      bus = await createBus(root, logger);
      const runtime = await startWorkflowRuntime({ registrations: core.registrations(), root, bus, logger });
      closers.push(() => runtime.close());
      services.bus = bus;
    } else {
      logger.warn('SERVICEBUS__fullyQualifiedNamespace is set: workflows are not run by the local host (use func start)');
    }

    await runAppStartHooks({ core });
    const tokens = await mintDemoTokens(issuer, settings.AUTH_ISSUER, settings.AUTH_AUDIENCE);
    let hostUrl = '';
    const http = await startHttpHost({
      core,
      registrations: core.registrations(),
      port: opts.port,
      host: opts.host ?? '127.0.0.1',
      log: (line) => logger.debug(line),
      // The local console (docs/local-host.md), ahead of the app's routes; never part of the bundle.
      localRoutes: createConsole({
        apiUrl: () => hostUrl,
        tokens: () => tokens,
        outboxes: outboxesOf(env.SANDBOX_DIR),
        ...(sandboxes ? { sandboxes } : {}),
        bus: () => bus,
        jelou: {
          ...(env.JELOU_WEBHOOK_SECRET ? { secret: env.JELOU_WEBHOOK_SECRET } : {}),
          botId: env.JELOU_BOT_ID ?? 'algesta-local',
        },
        phones: [
          { label: 'Demo client (Comercial Andina)', phone: DEMO.phones.client },
          { label: 'Demo provider (Refrigeración Total)', phone: DEMO.phones.provider },
        ],
        location: DEMO.siteLocations[0].location,
      }),
    });
    hostUrl = http.url;
    closers.push(() => http.close());
    // DocuSign's sandbox posts its Connect messages to this host's webhook.
    sandboxes?.docusign.setWebhookUrl(`${http.url}/api/webhooks/docusign`);

    if (services.cosmos) {
      // Lets `npm run dlq` work on this folder while the stack runs (it holds the folder's lock).
      const file = join(opts.dataDir, RUNNING_STACK_FILE);
      const running: RunningStack = {
        pid: process.pid,
        url: http.url,
        cosmosEndpoint: services.cosmos.endpoint,
        ...(sandboxes
          ? {
              sandboxes: {
                docusign: sandboxes.docusign.url,
                asana: sandboxes.asana.url,
                assets: sandboxes.assets.url,
                qsystems: sandboxes.qsystems.url,
              },
            }
          : {}),
        outboxes: outboxesOf(env.SANDBOX_DIR),
      };
      await writeFile(file, JSON.stringify(running, null, 2));
      closers.push(() => rm(file, { force: true }));
    }

    return { url: http.url, port: http.port, tokens, seeded, services, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function provisionAndSeed(root: import('../functions/composition-root').Root, logger: Logger): Promise<boolean> {
  const [{ ensureCosmosSchema }, { ensureBlobContainers }] = await Promise.all([
    import('../shared/adapters/cosmos/provision'),
    import('../shared/adapters/blob/blob-service'),
  ]);
  const cosmos = await root.cosmos();
  await ensureCosmosSchema(cosmos);
  await ensureBlobContainers(await root.blob());
  const seeded = await seedDemoData({
    clients: await root.clients(),
    users: await root.users(),
    providers: await root.providers(),
    priceStats: await root.priceStats(),
    plans: await root.plans(),
    // The test stacks seed the demo plan paused: it would open orders (and send messages) at start.
    demoPlanStatus: process.env.DEMO_PLAN === 'paused' ? 'paused' : 'active',
    ...(process.env.ASANA_DEFAULT_PROJECT_GID ? { asanaProjectId: process.env.ASANA_DEFAULT_PROJECT_GID } : {}),
  });
  if (seeded) logger.info('demo data seeded', { clientId: DEMO.clientId });
  return seeded;
}

async function mintDemoTokens(
  issuer: Awaited<ReturnType<typeof loadOrCreateDevIssuer>>,
  iss: string,
  aud: string,
): Promise<Record<Role, string>> {
  const opts = { issuer: iss, audience: aud, expiresIn: '8h' };
  return {
    admin: await issuer.mint({ sub: DEMO.users.admin, role: 'admin', name: 'Demo admin' }, opts),
    operator: await issuer.mint({ sub: DEMO.users.operator, role: 'operator', name: 'Demo operator' }, opts),
    client: await issuer.mint({ sub: DEMO.users.client, role: 'client', clientId: DEMO.clientId, name: 'Demo client' }, opts),
    provider: await issuer.mint(
      { sub: DEMO.users.provider, role: 'provider', providerId: DEMO.providerIds[0], name: 'Demo provider' },
      opts,
    ),
  };
}
