import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvSecretStore } from '../../shared/adapters/partners/key-vault-secrets';
import { PARTNER_SECRETS } from '../../shared/adapters/partners/secret-names';
import { startAsanaSandbox, type AsanaSandbox } from './asana-sandbox';
import { startAssetsSandbox, type AssetsSandbox } from './assets-sandbox';
import { startDocuSignSandbox, type DocuSignSandbox } from './docusign-sandbox';
import { startQsystemsSandbox, type QsystemsSandbox } from './qsystems-sandbox';

export type { AsanaSandbox } from './asana-sandbox';
export type { AssetsSandbox } from './assets-sandbox';
export type { DocuSignSandbox } from './docusign-sandbox';
export type { QsystemsSandbox } from './qsystems-sandbox';
export type { RecordedRequest, SandboxControls } from './http-sandbox';

/**
 * Every partner sandbox for the local stack, each with its state under `<dataDir>/<partner>`, and the
 * settings that point the real adapters at them. The credentials (the DocuSign RSA key pair, the
 * Connect HMAC key, the Asana PAT, the API keys) are made once and kept in
 * `<dataDir>/credentials.json`, so restarts keep working with the same state; the adapters read
 * them as secrets from the `SECRET_*` variables (EnvSecretStore), exactly as they read Key Vault.
 */
export interface SandboxesOptions {
  /** `.local/sandboxes` on the local stack. */
  readonly dataDir: string;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly ports?: Partial<Record<'docusign' | 'asana' | 'assets' | 'qsystems', number>>;
  /** Where the DocuSign sandbox posts Connect messages (settable later with `setWebhookUrl`). */
  readonly docusignWebhookUrl?: string;
}

export interface SandboxCredentials {
  readonly docusign: {
    readonly accountId: string;
    readonly integrationKey: string;
    readonly userId: string;
    readonly templateId: string;
    readonly privateKeyPem: string;
    readonly publicKeyPem: string;
    readonly hmacKey: string;
  };
  readonly asana: { readonly pat: string; readonly projectGid: string };
  readonly assets: { readonly apiKey: string };
  readonly qsystems: { readonly apiToken: string };
}

export interface Sandboxes {
  readonly docusign: DocuSignSandbox;
  readonly asana: AsanaSandbox;
  readonly assets: AssetsSandbox;
  readonly qsystems: QsystemsSandbox;
  readonly credentials: SandboxCredentials;
  /** Settings for the adapters (base URLs, ids) and their secrets as `SECRET_*` variables. */
  readonly settings: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export async function startSandboxes(opts: SandboxesOptions): Promise<Sandboxes> {
  const credentials = await loadOrCreateCredentials(opts.dataDir);
  const host = opts.host ? { host: opts.host } : {};
  const port = (name: keyof NonNullable<SandboxesOptions['ports']>) => ({ port: opts.ports?.[name] ?? 0 });
  const started: { close(): Promise<void> }[] = [];
  try {
    const docusign = await startDocuSignSandbox({
      dataDir: join(opts.dataDir, 'docusign'),
      ...host,
      ...port('docusign'),
      accountId: credentials.docusign.accountId,
      integrationKey: credentials.docusign.integrationKey,
      userId: credentials.docusign.userId,
      publicKeyPem: credentials.docusign.publicKeyPem,
      hmacKeys: [credentials.docusign.hmacKey],
      ...(opts.docusignWebhookUrl ? { webhookUrl: opts.docusignWebhookUrl } : {}),
    });
    started.push(docusign);
    const asana = await startAsanaSandbox({
      dataDir: join(opts.dataDir, 'asana'),
      ...host,
      ...port('asana'),
      pat: credentials.asana.pat,
    });
    started.push(asana);
    const assets = await startAssetsSandbox({
      dataDir: join(opts.dataDir, 'assets'),
      ...host,
      ...port('assets'),
      apiKey: credentials.assets.apiKey,
    });
    started.push(assets);
    const qsystems = await startQsystemsSandbox({
      dataDir: join(opts.dataDir, 'qsystems'),
      ...host,
      ...port('qsystems'),
      apiToken: credentials.qsystems.apiToken,
    });
    started.push(qsystems);

    const secret = (name: string, value: string) => [EnvSecretStore.variableFor(name), value] as const;
    const settings: Record<string, string> = Object.fromEntries([
      ['DOCUSIGN_OAUTH_BASE_URL', docusign.url],
      ['DOCUSIGN_API_BASE_URL', `${docusign.url}/restapi`],
      ['DOCUSIGN_ACCOUNT_ID', credentials.docusign.accountId],
      ['DOCUSIGN_INTEGRATION_KEY', credentials.docusign.integrationKey],
      ['DOCUSIGN_USER_ID', credentials.docusign.userId],
      ['DOCUSIGN_TEMPLATE_ID', credentials.docusign.templateId],
      ['ASANA_BASE_URL', `${asana.url}/api/1.0`],
      ['ASANA_DEFAULT_PROJECT_GID', credentials.asana.projectGid],
      ['ASSETS_BASE_URL', `${assets.url}/api/v1`],
      ['QSYSTEMS_BASE_URL', `${qsystems.url}/api/v1`],
      // One line per PEM line as `\n`: the form a PEM takes in local.settings.json.
      secret(PARTNER_SECRETS.docusignPrivateKey, credentials.docusign.privateKeyPem.replace(/\n/g, '\\n')),
      secret(PARTNER_SECRETS.docusignConnectHmacKeys, credentials.docusign.hmacKey),
      secret(PARTNER_SECRETS.asanaPat, credentials.asana.pat),
      secret(PARTNER_SECRETS.assetsApiKey, credentials.assets.apiKey),
      secret(PARTNER_SECRETS.qsystemsApiToken, credentials.qsystems.apiToken),
    ]);

    return {
      docusign,
      asana,
      assets,
      qsystems,
      credentials,
      settings,
      close: async () => {
        for (const s of started.reverse()) await s.close();
      },
    };
  } catch (err) {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
    throw err;
  }
}

/** The sandboxes' credentials, made on first use and kept so a restarted stack finds its state again. */
export async function loadOrCreateCredentials(dataDir: string): Promise<SandboxCredentials> {
  const file = join(dataDir, 'credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SandboxCredentials;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    // DocuSign hands out PKCS#1 keys; the sandbox does the same so the adapter reads what it will read in production.
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const credentials: SandboxCredentials = {
    docusign: {
      accountId: randomUUID(),
      integrationKey: randomUUID(),
      userId: randomUUID(),
      templateId: randomUUID(),
      privateKeyPem: privateKey,
      publicKeyPem: publicKey,
      hmacKey: randomBytes(32).toString('base64'),
    },
    asana: { pat: `2/${randomBytes(8).toString('hex')}/${randomBytes(16).toString('hex')}`, projectGid: '1209000000000000' },
    assets: { apiKey: randomBytes(24).toString('base64url') },
    qsystems: { apiToken: randomBytes(24).toString('base64url') },
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(credentials, null, 2), { encoding: 'utf8', mode: 0o600 });
  return credentials;
}
