import { describe, expect, it } from 'vitest';
import {
  EnvSecretStore,
  KeyVaultSecretStore,
  SecretUnavailableError,
  type SecretReader,
} from '../../../shared/adapters/partners/key-vault-secrets';
import { failure } from './support';

/** The secret stores: Key Vault caching and rotation with a fake SecretClient, and the local fallback. */
function fakeVault(values: Record<string, string>) {
  const calls: string[] = [];
  let down = false;
  const client: SecretReader = {
    getSecret: async (name) => {
      calls.push(name);
      await Promise.resolve();
      if (down) throw Object.assign(new Error(`vault https://x.vault.azure.net unreachable for ${name}`), { statusCode: 503 });
      if (!(name in values)) throw Object.assign(new Error(`SecretNotFound ${name}`), { statusCode: 404 });
      return { value: values[name] };
    },
  };
  return { client, calls, values, setDown: (d: boolean) => void (down = d) };
}

describe('KeyVaultSecretStore', () => {
  it('reads once per refresh interval and picks up a rotated value after it', async () => {
    let now = 1_000_000;
    const vault = fakeVault({ 'asana-pat': 'v1' });
    const store = new KeyVaultSecretStore({
      vaultUrl: 'https://x.vault.azure.net',
      client: vault.client,
      refreshIntervalMs: 60_000,
      now: () => now,
    });
    expect(await store.get('asana-pat')).toBe('v1');
    vault.values['asana-pat'] = 'v2';
    now += 59_000;
    expect(await store.get('asana-pat')).toBe('v1');
    expect(vault.calls).toHaveLength(1);
    now += 2_000;
    expect(await store.get('asana-pat')).toBe('v2');
    expect(vault.calls).toHaveLength(2);
  });

  it('concurrent reads of one secret share one request', async () => {
    const vault = fakeVault({ 'docusign-private-key': 'pem' });
    const store = new KeyVaultSecretStore({ vaultUrl: 'https://x.vault.azure.net', client: vault.client });
    const values = await Promise.all(Array.from({ length: 5 }, () => store.get('docusign-private-key')));
    expect(values).toEqual(['pem', 'pem', 'pem', 'pem', 'pem']);
    expect(vault.calls).toHaveLength(1);
  });

  it('serves the last value when Key Vault fails at refresh time, and reads again on the next call', async () => {
    let now = 0;
    const vault = fakeVault({ 'assets-api-key': 'k1' });
    const store = new KeyVaultSecretStore({
      vaultUrl: 'https://x.vault.azure.net',
      client: vault.client,
      refreshIntervalMs: 10,
      now: () => now,
    });
    await store.get('assets-api-key');
    vault.setDown(true);
    now += 20;
    expect(await store.get('assets-api-key')).toBe('k1');
    vault.setDown(false);
    vault.values['assets-api-key'] = 'k2';
    expect(await store.get('assets-api-key')).toBe('k2');
  });

  it('a secret it never read fails with a message that names the secret and the status only', async () => {
    const vault = fakeVault({});
    const store = new KeyVaultSecretStore({ vaultUrl: 'https://x.vault.azure.net', client: vault.client });
    const err = await failure(store.get('qsystems-api-token'));
    expect(err).toBeInstanceOf(SecretUnavailableError);
    expect(String(err)).toBe('SecretUnavailableError: secret "qsystems-api-token" could not be read from Key Vault (HTTP 404)');
    const empty = new KeyVaultSecretStore({ vaultUrl: 'https://x', client: { getSecret: async () => ({}) } });
    expect(String(await failure(empty.get('asana-pat')))).toContain('has no value');
  });
});

describe('EnvSecretStore', () => {
  it('maps the secret name to SECRET_<NAME> and unescapes \\n for PEM keys', async () => {
    expect(EnvSecretStore.variableFor('docusign-private-key')).toBe('SECRET_DOCUSIGN_PRIVATE_KEY');
    const store = new EnvSecretStore({
      SECRET_DOCUSIGN_PRIVATE_KEY: '-----BEGIN-----\\nabc\\n-----END-----',
      SECRET_ASANA_PAT: 'pat',
    });
    expect(await store.get('docusign-private-key')).toBe('-----BEGIN-----\nabc\n-----END-----');
    expect(await store.get('asana-pat')).toBe('pat');
  });

  it('a missing secret names the variable to set', async () => {
    const err = await failure(new EnvSecretStore({}).get('assets-api-key'));
    expect(String(err)).toContain('set SECRET_ASSETS_API_KEY');
  });
});

/**
 * Against a real vault — only when AZURE_TEST_KEY_VAULT_URI and AZURE_TEST_KEY_VAULT_SECRET (the name
 * of an existing secret) are set and DefaultAzureCredential can sign in with "Key Vault Secrets User".
 */
const vaultUrl = process.env.AZURE_TEST_KEY_VAULT_URI;
const secretName = process.env.AZURE_TEST_KEY_VAULT_SECRET;
if (!vaultUrl || !secretName)
  console.info(
    'key-vault-secrets: real vault test skipped — set AZURE_TEST_KEY_VAULT_URI and AZURE_TEST_KEY_VAULT_SECRET to run it',
  );

describe.skipIf(!vaultUrl || !secretName)('Key Vault (real)', () => {
  it('reads the secret through DefaultAzureCredential and caches it', async () => {
    const store = new KeyVaultSecretStore({ vaultUrl: vaultUrl! });
    const value = await store.get(secretName!);
    expect(value.length).toBeGreaterThan(0);
    expect(await store.get(secretName!)).toBe(value);
  }, 60_000);
});
