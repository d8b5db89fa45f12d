import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type ServerBase from 'azurite/dist/src/common/ServerBase';

/**
 * Azurite's Blob and Queue servers, started in this process (no child process, no CLI). Data is
 * kept under `dataDir` exactly as `azurite --location <dataDir>` keeps it: the Loki metadata
 * databases (`__azurite_db_{blob,queue}{,_extent}__.json`) and the extent folders
 * (`__blobstorage__`, `__queuestorage__`). Loki saves metadata every 5 s; `close()` saves it.
 * Telemetry is off, access and debug logs are off, `loose` and `skipApiVersionCheck` are on.
 * See docs/azurite.md.
 */
export interface AzuriteOptions {
  dataDir: string;
  /** 0 (default): a free port chosen by the OS. */
  blobPort?: number;
  /** 0 (default): a free port chosen by the OS. */
  queuePort?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface AzuriteInstance {
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  blobEndpoint: string;
  queueEndpoint: string;
  /** devstoreaccount1 with the well-known key, pointing at the actual ports. */
  connectionString: string;
  /** Closes both servers and saves their metadata. Idempotent. */
  close(): Promise<void>;
}

export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
/** The public, well-known Azurite/emulator key (not a secret). */
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const require = createRequire(import.meta.url);

/** Azurite is CommonJS with `exports.default`; `require` avoids ESM/CJS default-interop differences. */
function loadAzurite() {
  // Azurite's telemetry module loads `applicationinsights`, which on load patches console, winston and
  // the Azure SDK through diagnostic-channel unless told not to. Nothing is ever sent: no telemetry
  // client is created unless `AzuriteTelemetryClient.init(..., true, ...)` runs (only Azurite's CLI
  // does that), and we call it with `false` below.
  process.env.APPLICATION_INSIGHTS_NO_DIAGNOSTIC_CHANNEL ??= '1';
  return {
    BlobServer: (require('azurite/dist/src/blob/BlobServer') as typeof import('azurite/dist/src/blob/BlobServer')).default,
    BlobConfiguration: (
      require('azurite/dist/src/blob/BlobConfiguration') as typeof import('azurite/dist/src/blob/BlobConfiguration')
    ).default,
    QueueServer: (require('azurite/dist/src/queue/QueueServer') as typeof import('azurite/dist/src/queue/QueueServer')).default,
    QueueConfiguration: (
      require('azurite/dist/src/queue/QueueConfiguration') as typeof import('azurite/dist/src/queue/QueueConfiguration')
    ).default,
    AzuriteTelemetryClient: (require('azurite/dist/src/common/Telemetry') as typeof import('azurite/dist/src/common/Telemetry'))
      .AzuriteTelemetryClient,
    configLogger: (require('azurite/dist/src/common/Logger') as typeof import('azurite/dist/src/common/Logger')).configLogger,
  };
}

export async function startAzurite(opts: AzuriteOptions): Promise<AzuriteInstance> {
  const dataDir = resolve(opts.dataDir);
  const host = opts.host ?? '127.0.0.1';
  await mkdir(dataDir, { recursive: true });

  const az = loadAzurite();
  az.configLogger(false); // debug log off
  az.AzuriteTelemetryClient.init(dataDir, false, undefined); // telemetry off

  // Arguments in the order of Azurite's constructors (see local/types/azurite.d.ts).
  const common = [
    false, // enableAccessLog
    undefined, // accessLogWriteStream
    false, // enableDebugLog
    undefined, // debugLogFilePath
    true, // loose
    true, // skipApiVersionCheck
  ] as const;
  const blob = new az.BlobServer(
    new az.BlobConfiguration(
      host,
      opts.blobPort ?? 0,
      undefined, // keepAliveTimeout: Azurite's default
      join(dataDir, '__azurite_db_blob__.json'),
      join(dataDir, '__azurite_db_blob_extent__.json'),
      [{ locationId: 'Default', locationPath: join(dataDir, '__blobstorage__'), maxConcurrency: 50 }],
      ...common,
    ),
  );
  const queue = new az.QueueServer(
    new az.QueueConfiguration(
      host,
      opts.queuePort ?? 0,
      undefined,
      join(dataDir, '__azurite_db_queue__.json'),
      join(dataDir, '__azurite_db_queue_extent__.json'),
      [{ locationId: 'Default', locationPath: join(dataDir, '__queuestorage__'), maxConcurrency: 1 }],
      ...common,
    ),
  );

  await blob.start();
  try {
    await queue.start();
  } catch (err) {
    await closeServer(blob);
    throw err;
  }

  const urlHost = host.includes(':') ? `[${host}]` : host;
  const endpoint = (server: ServerBase) =>
    `http://${urlHost}:${(server.httpServer.address() as AddressInfo).port}/${AZURITE_ACCOUNT_NAME}`;
  const blobEndpoint = endpoint(blob);
  const queueEndpoint = endpoint(queue);

  let closing: Promise<void> | undefined;
  return {
    blobEndpoint,
    queueEndpoint,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};AccountKey=${AZURITE_ACCOUNT_KEY};` +
      `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};`,
    close() {
      closing ??= Promise.allSettled([closeServer(blob), closeServer(queue)]).then((results) => {
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      });
      return closing;
    },
  };
}

/**
 * Azurite's `close()` stops listening and saves the metadata, but does not wait for the socket to be
 * released nor drop kept-alive connections; do both so that a restart can reuse the port at once.
 */
async function closeServer(server: ServerBase): Promise<void> {
  const http = server.httpServer;
  const released = new Promise<void>((done) => {
    if (!http.listening) done();
    else http.once('close', () => done());
  });
  await server.close();
  http.closeAllConnections();
  await released;
}
