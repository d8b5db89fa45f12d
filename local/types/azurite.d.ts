/**
 * The parts of Azurite's compiled CommonJS (`azurite/dist/src/...`) that `local/azurite.ts` uses.
 * Azurite ships no type declarations; these mirror its 3.35 sources. Each module's class is its
 * `exports.default` (loaded with `require`, see `local/azurite.ts`).
 */
declare module 'azurite/dist/src/common/ServerBase' {
  import type { Server } from 'node:http';

  export default abstract class ServerBase {
    /** The listening HTTP server (wrapped by `stoppable`). */
    readonly httpServer: Server;
    /** `http://<address>:<port>` actually bound (the real port when 0 was asked for); '' before start. */
    getHttpServerAddress(): string;
    start(): Promise<void>;
    /** Stops listening, then closes the stores (the Loki databases are saved). */
    close(): Promise<void>;
  }
}

declare module 'azurite/dist/src/common/ConfigurationBase' {
  export interface PersistenceLocation {
    locationId: string;
    locationPath: string;
    maxConcurrency: number;
  }
}

declare module 'azurite/dist/src/blob/BlobConfiguration' {
  import type { PersistenceLocation } from 'azurite/dist/src/common/ConfigurationBase';

  export default class BlobConfiguration {
    constructor(
      host?: string,
      port?: number,
      keepAliveTimeout?: number,
      metadataDBPath?: string,
      extentDBPath?: string,
      persistencePathArray?: PersistenceLocation[],
      enableAccessLog?: boolean,
      accessLogWriteStream?: NodeJS.WritableStream,
      enableDebugLog?: boolean,
      debugLogFilePath?: string,
      loose?: boolean,
      skipApiVersionCheck?: boolean,
      cert?: string,
      key?: string,
      pwd?: string,
      oauth?: string,
      disableProductStyleUrl?: boolean,
      isMemoryPersistence?: boolean,
    );
  }
}

declare module 'azurite/dist/src/blob/BlobServer' {
  import ServerBase from 'azurite/dist/src/common/ServerBase';
  import type BlobConfiguration from 'azurite/dist/src/blob/BlobConfiguration';

  export default class BlobServer extends ServerBase {
    constructor(configuration?: BlobConfiguration);
  }
}

declare module 'azurite/dist/src/queue/QueueConfiguration' {
  import type { PersistenceLocation } from 'azurite/dist/src/common/ConfigurationBase';

  export default class QueueConfiguration {
    constructor(
      host?: string,
      port?: number,
      keepAliveTimeout?: number,
      metadataDBPath?: string,
      extentDBPath?: string,
      persistencePathArray?: PersistenceLocation[],
      enableAccessLog?: boolean,
      accessLogWriteStream?: NodeJS.WritableStream,
      enableDebugLog?: boolean,
      debugLogFilePath?: string,
      loose?: boolean,
      skipApiVersionCheck?: boolean,
      cert?: string,
      key?: string,
      pwd?: string,
      oauth?: string,
      disableProductStyleUrl?: boolean,
      isMemoryPersistence?: boolean,
    );
  }
}

declare module 'azurite/dist/src/queue/QueueServer' {
  import ServerBase from 'azurite/dist/src/common/ServerBase';
  import type QueueConfiguration from 'azurite/dist/src/queue/QueueConfiguration';

  export default class QueueServer extends ServerBase {
    constructor(configuration?: QueueConfiguration);
  }
}

declare module 'azurite/dist/src/common/Telemetry' {
  export class AzuriteTelemetryClient {
    /** With `enableTelemetry = false` no Application Insights client is created and nothing is sent. */
    static init(location: string, enableTelemetry: boolean, env: unknown, isVSC?: boolean): void;
  }
}

declare module 'azurite/dist/src/common/Logger' {
  /** Azurite's debug logger: off (NoLoggerStrategy) unless enabled. */
  export function configLogger(enable: boolean, logFile?: string): void;
}
