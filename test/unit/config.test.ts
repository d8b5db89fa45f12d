import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseSettings, redact, settingsSchema } from '../../shared/platform/config';

const valid = {
  APP_ENV: 'dev',
  COSMOS__accountEndpoint: 'https://algesta-dev.documents.azure.com:443/',
  STORAGE__blobServiceUri: 'https://algestadev.blob.core.windows.net',
  AUTH_MODE: 'entra',
  AUTH_ISSUER: 'https://login.microsoftonline.com/tenant/v2.0',
  AUTH_AUDIENCE: 'api://algesta',
  AUTH_JWKS_URI: 'https://login.microsoftonline.com/tenant/discovery/v2.0/keys',
};

describe('configuration', () => {
  it('accepts a complete Azure configuration and applies defaults', () => {
    const s = parseSettings(valid);
    expect(s.LOG_LEVEL).toBe('info');
    expect(s.CORS_ALLOWED_ORIGINS).toEqual([]);
    expect(parseSettings({ ...valid, CORS_ALLOWED_ORIGINS: 'https://a.test, https://b.test' }).CORS_ALLOWED_ORIGINS).toEqual([
      'https://a.test',
      'https://b.test',
    ]);
  });

  it('names the missing or invalid setting', () => {
    const { COSMOS__accountEndpoint: _missing, ...rest } = valid;
    expect(() => parseSettings(rest)).toThrow(/COSMOS__accountEndpoint/);
    try {
      parseSettings({ ...valid, APP_ENV: 'production', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.setting).sort()).toEqual(['APP_ENV', 'LOG_LEVEL']);
    }
  });

  it('refuses the development issuer outside the embedded stack, and Entra without JWKS', () => {
    expect(() => parseSettings({ ...valid, AUTH_MODE: 'development', AUTH_DEV_KEY_DIR: '/x' })).toThrow(
      /AUTH_MODE.*APP_ENV=local/,
    );
    const { AUTH_JWKS_URI: _j, ...noJwks } = valid;
    expect(() => parseSettings(noJwks)).toThrow(/AUTH_JWKS_URI/);
  });

  it('refuses private webhook targets outside the embedded stack (the client feed is SSRF-guarded in Azure)', () => {
    expect(parseSettings(valid).WEBHOOK_ALLOW_PRIVATE_TARGETS).toBe(false);
    for (const env of ['dev', 'staging', 'prod'])
      expect(() => parseSettings({ ...valid, APP_ENV: env, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })).toThrow(
        /WEBHOOK_ALLOW_PRIVATE_TARGETS.*APP_ENV=local/,
      );
    const local = { ...valid, APP_ENV: 'local', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' };
    expect(parseSettings(local).WEBHOOK_ALLOW_PRIVATE_TARGETS).toBe(true);
  });

  it('never puts a secret value in an error or a log', () => {
    const secret = 'AccountKey=super-secret-value';
    try {
      parseSettings({ ...valid, STORAGE_CONNECTION_STRING: secret, APP_ENV: 'nope' });
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(secret);
    }
    const logged = JSON.stringify(redact(parseSettings({ ...valid, COSMOS_KEY: secret })));
    expect(logged).not.toContain(secret);
    expect(logged).toContain('***');
  });

  it('partner secrets are redacted, and an unresolved Key Vault reference counts as unset', () => {
    const logged = JSON.stringify(
      redact(parseSettings({ ...valid, SENDGRID_API_KEY: 'SG.key', JELOU_WEBHOOK_SECRET: 'whsec', JELOU_CLIENT_SECRET: 'jsec' })),
    );
    for (const secret of ['SG.key', 'whsec', 'jsec']) expect(logged).not.toContain(secret);
    // App Service passes the reference text itself when the secret is missing from the vault.
    const unresolved = parseSettings({
      ...valid,
      JELOU_WEBHOOK_SECRET: '@Microsoft.KeyVault(VaultName=kv;SecretName=jelou-webhook-secret)',
      SENDGRID_API_KEY: '@Microsoft.KeyVault(VaultName=kv;SecretName=sendgrid-api-key)',
    });
    expect(unresolved.JELOU_WEBHOOK_SECRET).toBeUndefined();
    expect(unresolved.SENDGRID_API_KEY).toBeUndefined();
    // DocuSign is all or nothing; Jelou needs both of its ids.
    expect(() => parseSettings({ ...valid, DOCUSIGN_ACCOUNT_ID: 'acc' })).toThrow(/DOCUSIGN_TEMPLATE_ID/);
    expect(() => parseSettings({ ...valid, JELOU_BOT_ID: 'bot' })).toThrow(/JELOU_CLIENT_ID/);
  });

  it('turns the API reference page on unless API_DOCS_ENABLED says false, and refuses what is no boolean', () => {
    expect(parseSettings(valid).API_DOCS_ENABLED).toBe(true);
    expect(parseSettings({ ...valid, API_DOCS_ENABLED: '' }).API_DOCS_ENABLED).toBe(true);
    expect(parseSettings({ ...valid, API_DOCS_ENABLED: 'false' }).API_DOCS_ENABLED).toBe(false);
    expect(parseSettings({ ...valid, API_DOCS_ENABLED: 'true' }).API_DOCS_ENABLED).toBe(true);
    expect(() => parseSettings({ ...valid, API_DOCS_ENABLED: 'nope' })).toThrow(/API_DOCS_ENABLED/);
  });

  it('reads the Cosmos preferred regions in order and refuses what is no region list', () => {
    expect(parseSettings(valid).COSMOS_PREFERRED_REGIONS).toEqual([]);
    expect(parseSettings({ ...valid, COSMOS_PREFERRED_REGIONS: ' East US 2 , Central US ' }).COSMOS_PREFERRED_REGIONS).toEqual([
      'East US 2',
      'Central US',
    ]);
    expect(parseSettings({ ...valid, COSMOS_PREFERRED_REGIONS: 'eastus2,centralus' }).COSMOS_PREFERRED_REGIONS).toEqual([
      'eastus2',
      'centralus',
    ]);
    // A semicolon list or a URL would match none of the account's regions: the SDK would silently ignore it.
    expect(() => parseSettings({ ...valid, COSMOS_PREFERRED_REGIONS: 'East US 2;Central US' })).toThrow(
      /COSMOS_PREFERRED_REGIONS: "East US 2;Central US" is not an Azure region name/,
    );
    expect(() => parseSettings({ ...valid, COSMOS_PREFERRED_REGIONS: 'https://x-eastus2.documents.azure.com' })).toThrow(
      /COSMOS_PREFERRED_REGIONS/,
    );
    // The SDK compares names without spaces or case: these are one region twice.
    expect(() => parseSettings({ ...valid, COSMOS_PREFERRED_REGIONS: 'East US 2,eastus2' })).toThrow(
      /COSMOS_PREFERRED_REGIONS: a region is listed twice/,
    );
  });

  it('takes the instance region as a lower-case region name, and none when unset', () => {
    expect(parseSettings(valid).ALGESTA_REGION).toBeUndefined();
    expect(parseSettings({ ...valid, ALGESTA_REGION: 'centralus' }).ALGESTA_REGION).toBe('centralus');
    expect(() => parseSettings({ ...valid, ALGESTA_REGION: 'Central US' })).toThrow(/ALGESTA_REGION: an Azure region name/);
  });

  it('every setting is in local.settings.example.json and in the README table', () => {
    const example = JSON.parse(readFileSync('local.settings.example.json', 'utf8')) as { Values: Record<string, string> };
    const readme = readFileSync('README.md', 'utf8');
    for (const key of Object.keys(settingsSchema.shape)) {
      expect(Object.keys(example.Values), key).toContain(key);
      expect(readme, key).toContain(`\`${key}\``);
    }
  });
});
