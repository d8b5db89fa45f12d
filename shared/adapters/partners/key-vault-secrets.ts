import type { SecretStore } from '../../application/integrations/ports';

/**
 * Secrets for the partner adapters. In Azure: Key Vault through `@azure/keyvault-secrets` with
 * `DefaultAzureCredential` (the Function App's managed identity, role "Key Vault Secrets User"),
 * both loaded on first use so a cold start that calls no partner loads neither SDK. Each value is
 * kept for `refreshIntervalMs` and then read again, so a rotated secret is picked up without a
 * restart; if Key Vault cannot be reached at refresh time the last value is served and the read is
 * tried again on the next call. On the embedded stack: `EnvSecretStore`.
 */

/** What the store needs of `SecretClient`; tests inject a fake. */
export interface SecretReader {
  getSecret(name: string): Promise<{ readonly value?: string }>;
}

export interface KeyVaultSecretStoreOptions {
  /** `https://<vault>.vault.azure.net/` */
  readonly vaultUrl: string;
  /** Default 5 minutes. */
  readonly refreshIntervalMs?: number;
  readonly client?: SecretReader;
  readonly now?: () => number;
}

export const DEFAULT_SECRET_REFRESH_MS = 5 * 60_000;

export class SecretUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnavailableError';
  }
}

interface Cached {
  readonly value: string;
  readonly readAt: number;
}

export class KeyVaultSecretStore implements SecretStore {
  private readonly cache = new Map<string, Cached>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private client: Promise<SecretReader> | undefined;
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(private readonly options: KeyVaultSecretStoreOptions) {
    this.refreshMs = options.refreshIntervalMs ?? DEFAULT_SECRET_REFRESH_MS;
    this.now = options.now ?? Date.now;
    if (options.client) this.client = Promise.resolve(options.client);
  }

  async get(name: string): Promise<string> {
    const cached = this.cache.get(name);
    if (cached && this.now() - cached.readAt < this.refreshMs) return cached.value;
    // Concurrent callers of a stale or missing secret share one read.
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = this.read(name, cached).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    return pending;
  }

  private async read(name: string, stale: Cached | undefined): Promise<string> {
    try {
      const secret = await (await this.secretClient()).getSecret(name);
      if (!secret.value) throw new SecretUnavailableError(`secret "${name}" has no value in Key Vault`);
      this.cache.set(name, { value: secret.value, readAt: this.now() });
      return secret.value;
    } catch (err) {
      if (stale) return stale.value;
      if (err instanceof SecretUnavailableError) throw err;
      // The SDK's errors name the vault and the status; the code is enough here and carries no value.
      const status = (err as { statusCode?: unknown }).statusCode;
      throw new SecretUnavailableError(
        `secret "${name}" could not be read from Key Vault${typeof status === 'number' ? ` (HTTP ${status})` : ''}`,
      );
    }
  }

  private secretClient(): Promise<SecretReader> {
    this.client ??= (async () => {
      const [{ SecretClient }, { DefaultAzureCredential }] = await Promise.all([
        import('@azure/keyvault-secrets'),
        import('@azure/identity'),
      ]);
      return new SecretClient(this.options.vaultUrl, new DefaultAzureCredential());
    })().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }
}

/**
 * Secrets from the environment (local settings on the embedded stack): `docusign-private-key` is read
 * from `SECRET_DOCUSIGN_PRIVATE_KEY`. A literal `\n` in the value stands for a newline, so a PEM key
 * fits on one line of `local.settings.json`.
 */
export class EnvSecretStore implements SecretStore {
  constructor(private readonly env: Readonly<Record<string, string | undefined>> = process.env) {}

  static variableFor(name: string): string {
    return `SECRET_${name.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}`;
  }

  async get(name: string): Promise<string> {
    const variable = EnvSecretStore.variableFor(name);
    const value = this.env[variable];
    if (!value) throw new SecretUnavailableError(`secret "${name}" is not configured (set ${variable})`);
    return value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
  }
}
