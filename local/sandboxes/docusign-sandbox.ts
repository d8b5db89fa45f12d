import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import {
  startHttpSandbox,
  bearer,
  jsonBody,
  type SandboxControls,
  type SandboxRequest,
  type SandboxResponse,
} from './http-sandbox';
import { JsonState } from './json-state';
import { simplePdf } from './pdf';

/**
 * DocuSign as the local stack and the contract tests see it: the parts of the OAuth service and of
 * eSignature REST v2.1 that Algesta uses, and Connect.
 *
 * - `POST /oauth/token` — JWT grant; the assertion must verify (RS256) under the configured public
 *   key with `iss` = integration key, `sub` = user id, `aud` = this server's host, `scope` containing
 *   `signature`, and at most one hour between `iat` and `exp`. Tokens live `tokenTtlSeconds`.
 * - `/restapi/v2.1/accounts/{accountId}/envelopes` — `POST` (from a template with roles `provider`
 *   and `client`), `GET` (list: `from_date` required, `custom_field=<name>=<value>`),
 *   `GET /{envelopeId}`, `GET /{envelopeId}/documents/combined` (a small real PDF).
 * - `GET /sandbox/sign/{envelopeId}` — a page to sign or decline; its `POST` (like `complete`,
 *   `decline`, `voidEnvelope`) changes the envelope and posts a JSON SIM Connect message, signed
 *   with every configured HMAC key (`X-DocuSign-Signature-1..N`), to the webhook URL. One attempt,
 *   recorded in `deliveries`; `redeliver(i)` sends one again byte for byte (a Connect retry).
 */
export interface DocuSignSandboxOptions {
  /** State file folder (the local stack passes `.local/sandboxes/docusign`). */
  readonly dataDir: string;
  readonly port?: number;
  readonly host?: string;
  readonly accountId: string;
  readonly integrationKey: string;
  readonly userId: string;
  /** Public key (PEM) of the integration's RSA key pair. */
  readonly publicKeyPem: string;
  readonly hmacKeys: readonly string[];
  readonly webhookUrl?: string;
  readonly tokenTtlSeconds?: number;
  readonly now?: () => Date;
}

export type EnvelopeStatus = 'sent' | 'completed' | 'declined' | 'voided';

export interface SandboxEnvelope {
  readonly envelopeId: string;
  status: EnvelopeStatus;
  readonly templateId: string;
  readonly emailSubject: string;
  readonly templateRoles: readonly {
    roleName: string;
    name: string;
    email: string;
    textTabs: { tabLabel: string; value: string }[];
  }[];
  readonly textCustomFields: readonly { name: string; value: string }[];
  readonly createdDateTime: string;
  statusChangedDateTime: string;
  completedDateTime?: string;
  declinedDateTime?: string;
  voidedDateTime?: string;
  reason?: string;
}

export interface ConnectDelivery {
  readonly event: string;
  readonly envelopeId: string;
  readonly rawBody: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly status?: number;
  readonly error?: string;
}

export interface DocuSignSandbox extends SandboxControls {
  /** Claims of every assertion that was verified and exchanged for a token. */
  readonly tokenGrants: readonly JWTPayload[];
  readonly deliveries: readonly ConnectDelivery[];
  envelopes(): readonly SandboxEnvelope[];
  envelope(envelopeId: string): SandboxEnvelope | undefined;
  signUrl(envelopeId: string): string;
  setWebhookUrl(url: string | undefined): void;
  complete(envelopeId: string): Promise<ConnectDelivery>;
  decline(envelopeId: string, reason?: string): Promise<ConnectDelivery>;
  voidEnvelope(envelopeId: string, reason?: string): Promise<ConnectDelivery>;
  /** Posts a Connect message for any event (e.g. a late `envelope-sent`) without changing the envelope. */
  deliver(envelopeId: string, event: string): Promise<ConnectDelivery>;
  redeliver(index: number): Promise<ConnectDelivery>;
  /** The signed Connect message for an event, not sent: for webhook tests that post it themselves. */
  connectMessage(envelopeId: string, event: string): { rawBody: Buffer; headers: Record<string, string> };
  /** Revokes every access token (the next API call answers 401). */
  revokeTokens(): void;
}

const createBody = z.object({
  templateId: z.string().min(1),
  emailSubject: z.string().min(1).max(100),
  status: z.enum(['sent', 'created']),
  templateRoles: z
    .array(
      z.object({
        roleName: z.string().min(1),
        name: z.string().min(1),
        email: z.email(),
        tabs: z.object({ textTabs: z.array(z.object({ tabLabel: z.string(), value: z.string() })).optional() }).optional(),
      }),
    )
    .min(1),
  customFields: z.object({ textCustomFields: z.array(z.object({ name: z.string(), value: z.string() })).optional() }).optional(),
});

const TEMPLATE_ROLES = ['provider', 'client'];

const docusignError = (status: number, errorCode: string, message: string): SandboxResponse => ({
  status,
  json: { errorCode, message },
});

export async function startDocuSignSandbox(opts: DocuSignSandboxOptions): Promise<DocuSignSandbox> {
  const now = opts.now ?? (() => new Date());
  const publicKey = createPublicKey(opts.publicKeyPem);
  const state = await JsonState.open<{ envelopes: SandboxEnvelope[] }>(opts.dataDir, () => ({ envelopes: [] }));
  const tokens = new Map<string, number>();
  const tokenGrants: JWTPayload[] = [];
  const deliveries: ConnectDelivery[] = [];
  let webhookUrl = opts.webhookUrl;
  let audience = '';
  const find = (id: string) => state.value.envelopes.find((e) => e.envelopeId === id);

  async function token(req: SandboxRequest): Promise<SandboxResponse> {
    const form = new URLSearchParams(req.rawBody.toString('utf8'));
    const oauthError = (error: string, description: string) => ({ status: 400, json: { error, error_description: description } });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return oauthError('unsupported_grant_type', '');
    const assertion = form.get('assertion');
    if (!assertion) return oauthError('invalid_request', 'assertion is required');
    try {
      const { payload } = await jwtVerify(assertion, publicKey, {
        algorithms: ['RS256'],
        issuer: opts.integrationKey,
        subject: opts.userId,
        audience,
        currentDate: now(),
        requiredClaims: ['iat', 'exp', 'scope'],
      });
      const scopes = String(payload.scope).split(' ');
      if (!scopes.includes('signature')) return oauthError('invalid_scope', 'signature scope required');
      if ((payload.exp ?? 0) - (payload.iat ?? 0) > 3600) return oauthError('invalid_grant', 'assertion lifetime over one hour');
      tokenGrants.push(payload);
    } catch {
      return oauthError('invalid_grant', 'no_valid_keys_or_signatures');
    }
    const accessToken = randomUUID();
    const ttl = opts.tokenTtlSeconds ?? 3600;
    tokens.set(accessToken, now().getTime() + ttl * 1000);
    return { status: 200, json: { access_token: accessToken, token_type: 'Bearer', expires_in: ttl } };
  }

  function authorized(req: SandboxRequest): boolean {
    const t = bearer(req.headers);
    const expiresAt = t ? tokens.get(t) : undefined;
    return expiresAt !== undefined && now().getTime() < expiresAt;
  }

  async function createEnvelope(req: SandboxRequest): Promise<SandboxResponse> {
    const parsed = createBody.safeParse(jsonBody(req));
    if (!parsed.success) return docusignError(400, 'INVALID_REQUEST_BODY', parsed.error.issues[0]?.message ?? 'invalid body');
    const body = parsed.data;
    const roles = body.templateRoles.map((r) => r.roleName);
    if (!TEMPLATE_ROLES.every((r) => roles.includes(r)))
      return docusignError(400, 'INVALID_TEMPLATE_ROLE', `the template needs roles ${TEMPLATE_ROLES.join(' and ')}`);
    const at = now().toISOString();
    const envelope: SandboxEnvelope = {
      envelopeId: randomUUID(),
      status: 'sent',
      templateId: body.templateId,
      emailSubject: body.emailSubject,
      templateRoles: body.templateRoles.map((r) => ({
        roleName: r.roleName,
        name: r.name,
        email: r.email,
        textTabs: r.tabs?.textTabs ?? [],
      })),
      textCustomFields: body.customFields?.textCustomFields ?? [],
      createdDateTime: at,
      statusChangedDateTime: at,
    };
    state.value.envelopes.push(envelope);
    await state.save();
    return {
      status: 201,
      json: { envelopeId: envelope.envelopeId, uri: `/envelopes/${envelope.envelopeId}`, statusDateTime: at, status: 'sent' },
    };
  }

  function listEnvelopes(req: SandboxRequest): SandboxResponse {
    const from = req.url.searchParams.get('from_date');
    if (!from || Number.isNaN(Date.parse(from)))
      return docusignError(400, 'INVALID_REQUEST_PARAMETER', 'from_date is required unless envelope_ids are given');
    const customField = req.url.searchParams.get('custom_field');
    const [fieldName, ...rest] = customField ? customField.split('=') : [];
    const fieldValue = rest.join('=');
    const found = state.value.envelopes.filter(
      (e) =>
        Date.parse(e.statusChangedDateTime) >= Date.parse(from) &&
        (!customField || e.textCustomFields.some((f) => f.name === fieldName && f.value === fieldValue)),
    );
    const size = String(found.length);
    return {
      status: 200,
      json: {
        resultSetSize: size,
        totalSetSize: size,
        startPosition: '0',
        endPosition: String(Math.max(0, found.length - 1)),
        ...(found.length ? { envelopes: found.map(summary) } : {}),
      },
    };
  }

  async function handle(req: SandboxRequest): Promise<SandboxResponse> {
    if (req.method === 'POST' && req.url.pathname === '/oauth/token') return token(req);
    const sign = /^\/sandbox\/sign\/([^/]+)$/.exec(req.url.pathname);
    if (sign) return signPage(req, decodeURIComponent(sign[1] ?? ''));

    const api = /^\/restapi\/v2\.1\/accounts\/([^/]+)\/envelopes(?:\/([^/]+)(\/documents\/combined)?)?$/.exec(req.url.pathname);
    if (!api) return docusignError(404, 'RESOURCE_NOT_FOUND', 'no such resource');
    if (!authorized(req)) return docusignError(401, 'USER_AUTHENTICATION_FAILED', 'Invalid access token');
    if (decodeURIComponent(api[1] ?? '') !== opts.accountId)
      return docusignError(400, 'USER_LACKS_MEMBERSHIP', 'unknown account');
    const envelopeId = api[2] ? decodeURIComponent(api[2]) : undefined;
    if (!envelopeId) {
      if (req.method === 'POST') return createEnvelope(req);
      if (req.method === 'GET') return listEnvelopes(req);
      return docusignError(405, 'METHOD_NOT_ALLOWED', 'method not allowed');
    }
    const envelope = find(envelopeId);
    if (!envelope) return docusignError(404, 'ENVELOPE_DOES_NOT_EXIST', 'envelope not found');
    if (req.method !== 'GET') return docusignError(405, 'METHOD_NOT_ALLOWED', 'method not allowed');
    if (!api[3]) return { status: 200, json: summary(envelope) };
    return { status: 200, headers: { 'content-type': 'application/pdf' }, body: combinedPdf(envelope) };
  }

  async function signPage(req: SandboxRequest, envelopeId: string): Promise<SandboxResponse> {
    const envelope = find(envelopeId);
    if (!envelope) return html(404, '<p>Sobre no encontrado.</p>');
    if (req.method === 'GET') return html(200, signForm(envelope));
    if (req.method !== 'POST') return html(405, '<p>Método no permitido.</p>');
    if (envelope.status !== 'sent') return html(409, `<p>Este sobre ya está <b>${envelope.status}</b>.</p>`);
    const action = new URLSearchParams(req.rawBody.toString('utf8')).get('action');
    const delivery = action === 'decline' ? await decline(envelopeId, 'Rechazado en el sandbox') : await complete(envelopeId);
    const outcome = delivery.status !== undefined ? `HTTP ${delivery.status}` : `no entregado (${delivery.error ?? 'sin URL'})`;
    return html(200, `<p>Sobre <b>${envelope.status}</b>. Mensaje Connect <code>${delivery.event}</code>: ${outcome}.</p>`);
  }

  async function transition(envelopeId: string, status: EnvelopeStatus, reason?: string): Promise<ConnectDelivery> {
    const envelope = find(envelopeId);
    if (!envelope) throw new Error(`no envelope ${envelopeId}`);
    if (envelope.status !== 'sent') throw new Error(`envelope ${envelopeId} is already ${envelope.status}`);
    const at = now().toISOString();
    envelope.status = status;
    envelope.statusChangedDateTime = at;
    if (status === 'completed') envelope.completedDateTime = at;
    if (status === 'declined') envelope.declinedDateTime = at;
    if (status === 'voided') envelope.voidedDateTime = at;
    if (reason) envelope.reason = reason;
    await state.save();
    return deliver(envelopeId, `envelope-${status}`);
  }

  function connectMessage(envelopeId: string, event: string): { rawBody: Buffer; headers: Record<string, string> } {
    const envelope = find(envelopeId);
    if (!envelope) throw new Error(`no envelope ${envelopeId}`);
    const rawBody = Buffer.from(
      JSON.stringify({
        event,
        apiVersion: 'v2.1',
        uri: `/restapi/v2.1/accounts/${opts.accountId}/envelopes/${envelopeId}`,
        retryCount: 0,
        configurationId: 10_000_001,
        generatedDateTime: now().toISOString(),
        data: { accountId: opts.accountId, userId: opts.userId, envelopeId, envelopeSummary: summary(envelope) },
      }),
      'utf8',
    );
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    opts.hmacKeys.forEach((key, i) => {
      headers[`x-docusign-signature-${i + 1}`] = createHmac('sha256', key).update(rawBody).digest('base64');
    });
    return { rawBody, headers };
  }

  async function post(
    event: string,
    envelopeId: string,
    rawBody: Buffer,
    headers: Record<string, string>,
  ): Promise<ConnectDelivery> {
    const base = { event, envelopeId, rawBody: rawBody.toString('utf8'), headers };
    let delivery: ConnectDelivery;
    if (!webhookUrl) delivery = { ...base, error: 'no webhook URL configured' };
    else {
      try {
        const res = await fetch(webhookUrl, { method: 'POST', headers, body: rawBody, signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        delivery = { ...base, status: res.status };
      } catch (err) {
        delivery = { ...base, error: err instanceof Error ? err.name : 'failed' };
      }
    }
    deliveries.push(delivery);
    return delivery;
  }

  async function deliver(envelopeId: string, event: string): Promise<ConnectDelivery> {
    const { rawBody, headers } = connectMessage(envelopeId, event);
    return post(event, envelopeId, rawBody, headers);
  }

  const complete = (id: string) => transition(id, 'completed');
  const decline = (id: string, reason = 'declined') => transition(id, 'declined', reason);

  const http = await startHttpSandbox({
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    handle,
    secretFields: ['assertion'],
  });
  audience = new URL(http.url).host;

  return Object.assign(http, {
    tokenGrants,
    deliveries,
    envelopes: () => state.value.envelopes,
    envelope: find,
    signUrl: (id: string) => `${http.url}/sandbox/sign/${encodeURIComponent(id)}`,
    setWebhookUrl: (url: string | undefined) => void (webhookUrl = url),
    complete,
    decline,
    voidEnvelope: (id: string, reason = 'voided') => transition(id, 'voided', reason),
    deliver,
    redeliver: async (index: number) => {
      const previous = deliveries[index];
      if (!previous) throw new Error(`no delivery ${index}`);
      return post(previous.event, previous.envelopeId, Buffer.from(previous.rawBody, 'utf8'), { ...previous.headers });
    },
    connectMessage,
    revokeTokens: () => tokens.clear(),
  });
}

function summary(e: SandboxEnvelope) {
  return {
    envelopeId: e.envelopeId,
    status: e.status,
    emailSubject: e.emailSubject,
    templateId: e.templateId,
    createdDateTime: e.createdDateTime,
    sentDateTime: e.createdDateTime,
    statusChangedDateTime: e.statusChangedDateTime,
    ...(e.completedDateTime ? { completedDateTime: e.completedDateTime } : {}),
    ...(e.declinedDateTime ? { declinedDateTime: e.declinedDateTime, declinedReason: e.reason } : {}),
    ...(e.voidedDateTime ? { voidedDateTime: e.voidedDateTime, voidedReason: e.reason } : {}),
    customFields: {
      textCustomFields: e.textCustomFields.map((f, i) => ({
        fieldId: String(i + 1),
        name: f.name,
        value: f.value,
        show: 'false',
        required: 'false',
      })),
    },
    recipients: {
      signers: e.templateRoles.map((r, i) => ({
        recipientId: String(i + 1),
        roleName: r.roleName,
        name: r.name,
        email: r.email,
        status: e.status === 'completed' ? 'completed' : e.status === 'declined' && i === 1 ? 'declined' : 'sent',
      })),
    },
  };
}

function signForm(e: SandboxEnvelope): string {
  const tabs = e.templateRoles[0]?.textTabs ?? [];
  const rows = tabs.map((t) => `<tr><th>${escapeHtml(t.tabLabel)}</th><td>${escapeHtml(t.value)}</td></tr>`).join('');
  const signers = e.templateRoles.map(
    (r) => `<li>${escapeHtml(r.roleName)}: ${escapeHtml(r.name)} &lt;${escapeHtml(r.email)}&gt;</li>`,
  );
  const form =
    e.status === 'sent'
      ? `<form method="post"><button name="action" value="sign">Firmar</button> <button name="action" value="decline">Rechazar</button></form>`
      : `<p>Estado: <b>${e.status}</b></p>`;
  return `<h1>${escapeHtml(e.emailSubject)}</h1><table>${rows}</table><ul>${signers.join('')}</ul>${form}`;
}

function combinedPdf(e: SandboxEnvelope): Buffer {
  const tabs = e.templateRoles[0]?.textTabs ?? [];
  return simplePdf([
    'Algesta - contrato de servicio (sandbox DocuSign)',
    e.emailSubject,
    ...tabs.map((t) => `${t.tabLabel}: ${t.value}`),
    ...e.templateRoles.map((r) => `${r.roleName}: ${r.name} <${r.email}>`),
    `Sobre ${e.envelopeId}: ${e.status}${e.completedDateTime ? ` ${e.completedDateTime}` : ''}`,
  ]);
}

function html(status: number, body: string): SandboxResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>DocuSign sandbox</title></head><body>${body}</body></html>`,
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
