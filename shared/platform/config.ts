import { z } from 'zod';

/**
 * Every setting the application reads, in one schema. Validated once per process (first call of
 * `loadConfig`); a missing or invalid setting throws a `ConfigError` naming it, which stops start-up.
 * Setting names follow the Functions convention for identity-based connections
 * (`<CONNECTION>__accountEndpoint`, `__blobServiceUri`, `__fullyQualifiedNamespace`) so that the same
 * name serves our SDK clients and the host's trigger bindings.
 *
 * The README's configuration table and `local.settings.example.json` list the same settings; a test
 * keeps the three in step.
 */
const commaList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0),
  );

const url = z.url({ protocol: /^https?$/ });

/**
 * Azure region names as Cosmos DB lists an account's regions: display names ("East US 2"). The
 * JavaScript SDK compares a preferred location with the account's region names after removing
 * whitespace and lower-casing both (`normalizeEndpoint` in @azure/cosmos 4.9.3,
 * dist/esm/utils/checkURL.js, used by `GlobalEndpointManager.resolveServiceEndpointInternal`), so
 * "eastus2" also matches; anything else (a URL, a semicolon list) would silently match no region.
 */
const regionName = /^[A-Za-z][A-Za-z0-9 ]*[A-Za-z0-9]$/;
const regionList = commaList.superRefine((regions, ctx) => {
  for (const r of regions)
    if (!regionName.test(r)) ctx.addIssue({ code: 'custom', message: `"${r}" is not an Azure region name (e.g. East US 2)` });
  const normalized = regions.map((r) => r.replace(/\s+/g, '').toLowerCase());
  if (new Set(normalized).size !== normalized.length) ctx.addIssue({ code: 'custom', message: 'a region is listed twice' });
});

export const settingsSchema = z
  .object({
    APP_ENV: z.enum(['local', 'dev', 'staging', 'prod']),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    COSMOS__accountEndpoint: url,
    /** Only for the embedded server or the emulator; in Azure the managed identity is used. */
    COSMOS_KEY: z.string().min(1).optional(),
    /**
     * The Cosmos SDK's preferred regions, in order (comma-separated display names, write region
     * first, the same list in every region of the app: docs/operations.md, "Regions"). Empty: the
     * SDK's default, the account's write region for everything. Ignored on the embedded server.
     */
    COSMOS_PREFERRED_REGIONS: regionList,

    /** The Azure region this instance runs in (e.g. eastus2), answered by `GET /api/health` as `region`. */
    ALGESTA_REGION: z
      .string()
      .regex(/^[a-z][a-z0-9]*$/, 'an Azure region name in lower case without spaces (e.g. eastus2)')
      .optional(),

    STORAGE__blobServiceUri: url,
    /** Only for Azurite; in Azure the managed identity is used. */
    STORAGE_CONNECTION_STRING: z.string().min(1).optional(),

    /** Service Bus namespace (identity-based). Absent: the embedded stack's local transport. */
    SERVICEBUS__fullyQualifiedNamespace: z.string().min(1).optional(),

    AUTH_MODE: z.enum(['entra', 'development']),
    AUTH_ISSUER: z.string().min(1),
    AUTH_AUDIENCE: z.string().min(1),
    /** Entra ID: the tenant's JWKS URL. Development: unused (the key is read from AUTH_DEV_KEY_DIR). */
    AUTH_JWKS_URI: url.optional(),
    /** Development issuer only: folder holding the issuer's key pair. */
    AUTH_DEV_KEY_DIR: z.string().min(1).optional(),

    CORS_ALLOWED_ORIGINS: commaList,

    /** The API reference page at `/api/docs` (docs/api.md); `false` answers it 404. The OpenAPI document stays. */
    API_DOCS_ENABLED: z.stringbool().default(true),

    /** Partner sandboxes write here (e-mails as .eml under `mailbox/`); set on the embedded stack. */
    SANDBOX_DIR: z.string().min(1).optional(),

    /** SendGrid (docs/notifications.md). Without an API key, e-mail goes to the sandbox mailbox. */
    SENDGRID_API_KEY: z.string().min(1).optional(),
    /** Another host with SendGrid's API (EU residency, a test fake). */
    SENDGRID_API_BASE_URL: url.optional(),
    SENDGRID_FROM_EMAIL: z.email().default('no-reply@algesta.co'),
    SENDGRID_FROM_NAME: z.string().min(1).default('Algesta'),
    /** The Event Webhook's verification key (base64 of the ECDSA public key, from SendGrid's settings). */
    SENDGRID_WEBHOOK_PUBLIC_KEY: z.string().min(1).optional(),

    /** Jelou (WhatsApp, docs/whatsapp.md). Without a bot id, WhatsApp messages go to the sandbox outbox. */
    JELOU_BASE_URL: url.default('https://api.jelou.ai'),
    JELOU_BOT_ID: z.string().min(1).optional(),
    JELOU_CLIENT_ID: z.string().min(1).optional(),
    JELOU_CLIENT_SECRET: z.string().min(1).optional(),
    /** The inbound webhook's HMAC secret; unset = the webhook refuses all. */
    JELOU_WEBHOOK_SECRET: z.string().min(1).optional(),
    /** Hosts inbound media may be fetched from (comma-separated); empty = any https host. */
    JELOU_MEDIA_HOSTS: commaList,

    /** Partner secrets (docs/integrations.md): Key Vault when set, else `SECRET_<NAME>` variables. */
    KEY_VAULT_URI: url.optional(),
    SECRETS_REFRESH_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),

    /** DocuSign eSignature (JWT grant); unset = contracts wait in CONTRACTING (the sandbox on the embedded stack). */
    DOCUSIGN_OAUTH_BASE_URL: url.optional(),
    DOCUSIGN_API_BASE_URL: url.optional(),
    DOCUSIGN_ACCOUNT_ID: z.string().min(1).optional(),
    DOCUSIGN_INTEGRATION_KEY: z.string().min(1).optional(),
    DOCUSIGN_USER_ID: z.string().min(1).optional(),
    DOCUSIGN_TEMPLATE_ID: z.string().min(1).optional(),
    /** Asana; unset = no tasks. Each client names its project (`asanaProjectId`). */
    ASANA_BASE_URL: url.optional(),
    /** The assets system; unset = the built-in sandbox catalogue. */
    ASSETS_BASE_URL: url.optional(),
    /** Qsystems; unset = no ticket updates. */
    QSYSTEMS_BASE_URL: url.optional(),

    /**
     * The client event feed (docs/webhooks.md) may call http:// and private, loopback and link-local
     * addresses. Only for the embedded stack's own tests (their receivers listen on 127.0.0.1):
     * refused unless APP_ENV=local.
     */
    WEBHOOK_ALLOW_PRIVATE_TARGETS: z.stringbool().default(false),

    /**
     * Local telemetry (read before this schema, by shared/platform/telemetry.ts, which must start
     * before anything else; declared here to be validated and documented). In Azure,
     * APPLICATIONINSIGHTS_CONNECTION_STRING (a host setting) sends to Application Insights instead.
     */
    OTEL_TRACES_EXPORTER: z.enum(['none', 'console', 'file']).default('none'),
    OTEL_EXPORTER_FILE: z.string().min(1).optional(),
    OTEL_METRIC_EXPORT_INTERVAL: z.coerce.number().int().positive().optional(),
  })
  .superRefine((s, ctx) => {
    if (s.WEBHOOK_ALLOW_PRIVATE_TARGETS && s.APP_ENV !== 'local')
      ctx.addIssue({
        code: 'custom',
        path: ['WEBHOOK_ALLOW_PRIVATE_TARGETS'],
        message: 'private webhook targets are only allowed with APP_ENV=local (the embedded stack)',
      });
    const docusign = [
      'DOCUSIGN_OAUTH_BASE_URL',
      'DOCUSIGN_API_BASE_URL',
      'DOCUSIGN_ACCOUNT_ID',
      'DOCUSIGN_INTEGRATION_KEY',
      'DOCUSIGN_USER_ID',
      'DOCUSIGN_TEMPLATE_ID',
    ] as const;
    if (docusign.some((k) => s[k]) && !docusign.every((k) => s[k])) {
      for (const k of docusign.filter((k) => !s[k]))
        ctx.addIssue({ code: 'custom', path: [k], message: 'DocuSign needs all of its settings' });
    }
    // The client secret is a Key Vault reference present in every environment; the bot and client
    // ids say whether Jelou is used (the composition root needs all three).
    if (Boolean(s.JELOU_BOT_ID) !== Boolean(s.JELOU_CLIENT_ID)) {
      const missing = s.JELOU_BOT_ID ? 'JELOU_CLIENT_ID' : 'JELOU_BOT_ID';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'Jelou needs both its bot id and its client id' });
    }
    if (s.AUTH_MODE === 'entra' && !s.AUTH_JWKS_URI) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_JWKS_URI'], message: 'required when AUTH_MODE=entra' });
    }
    if (s.AUTH_MODE === 'development') {
      if (s.APP_ENV !== 'local') {
        ctx.addIssue({
          code: 'custom',
          path: ['AUTH_MODE'],
          message: 'the development issuer is only allowed with APP_ENV=local (the embedded stack)',
        });
      }
      if (!s.AUTH_DEV_KEY_DIR) {
        ctx.addIssue({ code: 'custom', path: ['AUTH_DEV_KEY_DIR'], message: 'required when AUTH_MODE=development' });
      }
    }
  });

export type Settings = z.infer<typeof settingsSchema>;

/** Settings only the embedded stack uses: Azure never sets them (identity instead of keys, no sandboxes). */
export const localOnlySettings: ReadonlySet<keyof Settings> = new Set<keyof Settings>([
  'COSMOS_KEY',
  'STORAGE_CONNECTION_STRING',
  'AUTH_DEV_KEY_DIR',
  'SANDBOX_DIR',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_FILE',
  'OTEL_METRIC_EXPORT_INTERVAL',
]);

/** Settings that are secrets: never logged, never echoed in an error. */
export const secretSettings: ReadonlySet<keyof Settings> = new Set<keyof Settings>([
  'COSMOS_KEY',
  'STORAGE_CONNECTION_STRING',
  'SENDGRID_API_KEY',
  'JELOU_CLIENT_SECRET',
  'JELOU_WEBHOOK_SECRET',
]);

export class ConfigError extends Error {
  constructor(public readonly issues: readonly { setting: string; message: string }[]) {
    super('Invalid configuration: ' + issues.map((i) => `${i.setting}: ${i.message}`).join('; '));
    this.name = 'ConfigError';
  }
}

export function parseSettings(env: Record<string, string | undefined>): Settings {
  // Only the keys the schema knows are read: an unrelated variable never reaches an error message.
  const known = Object.keys(settingsSchema.shape) as (keyof Settings)[];
  const input: Record<string, string | undefined> = {};
  for (const key of known) {
    const value = env[key];
    // Empty is unset; so is a Key Vault reference App Service could not resolve (it then passes the
    // reference text itself, which must never be mistaken for a key or a webhook secret).
    input[key] = value === '' || value?.startsWith('@Microsoft.KeyVault(') ? undefined : value;
  }
  const result = settingsSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      setting: String(issue.path[0] ?? '(settings)'),
      // zod's message never contains the received value for these checks, so secrets stay out.
      message: issue.message,
    })),
  );
}

let cached: Settings | undefined;

/** The process's settings, validated on first use and then reused. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Settings {
  cached ??= parseSettings(env);
  return cached;
}

/** Tests and the local host re-read settings after changing the environment. */
export function resetConfigForTests(): void {
  cached = undefined;
}

/** A copy that is safe to log. */
export function redact(settings: Settings): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(settings).map(([k, v]) => [k, secretSettings.has(k as keyof Settings) && v ? '***' : v]),
  );
}
