import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PartnerRejectedError, PartnerUnavailableError } from '../../../shared/application/integrations/errors';
import type { ContractEnvelopeRequest } from '../../../shared/application/integrations/ports';
import { DocuSignContractSigning, formatAmount, type DocuSignOptions } from '../../../shared/adapters/partners/docusign';
import { parseConnectEvent, verifyConnectSignature } from '../../../shared/adapters/partners/docusign-connect';
import { PARTNER_SECRETS } from '../../../shared/adapters/partners/secret-names';
import type { PartnerPolicy } from '../../../shared/adapters/partners/resilience';
import { startDocuSignSandbox, type DocuSignSandbox } from '../../../local/sandboxes/docusign-sandbox';
import { failure, fastPolicy, memorySecrets, sleep, tempDir, webhookReceiver } from './support';

/** The DocuSign adapter against the DocuSign sandbox: JWT grant, envelopes, documents, Connect. */
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const ids = { accountId: randomUUID(), integrationKey: randomUUID(), userId: randomUUID(), templateId: randomUUID() };
const HMAC_KEYS = ['connect-key-one', 'connect-key-two'];

let clock = Date.now();
const now = () => new Date(clock);
let dir: Awaited<ReturnType<typeof tempDir>>;
let sandbox: DocuSignSandbox;
let webhook: Awaited<ReturnType<typeof webhookReceiver>>;

beforeAll(async () => {
  dir = await tempDir();
  webhook = await webhookReceiver();
  sandbox = await startDocuSignSandbox({
    dataDir: dir.path,
    ...ids,
    publicKeyPem: keys.publicKey,
    hmacKeys: HMAC_KEYS,
    webhookUrl: webhook.url,
    tokenTtlSeconds: 3600,
    now,
  });
});
afterAll(async () => {
  await sandbox.close();
  await webhook.close();
  await dir.dispose();
});
afterEach(() => {
  sandbox.recover();
  sandbox.clearRequests();
});

function adapter(policy: PartnerPolicy = fastPolicy('docusign'), privateKey = keys.privateKey) {
  const options: DocuSignOptions = {
    oauthBaseUrl: sandbox.url,
    apiBaseUrl: `${sandbox.url}/restapi`,
    ...ids,
    now,
  };
  return new DocuSignContractSigning(options, memorySecrets({ [PARTNER_SECRETS.docusignPrivateKey]: privateKey }), policy);
}

const request = (orderId = `ord_${randomUUID()}`): ContractEnvelopeRequest => ({
  orderId,
  clientId: 'cli_1',
  title: 'Mantenimiento aire acondicionado piso 3',
  amount: { amount: 125_000_000, currency: 'COP' },
  providerSigner: { name: 'Proveedor Uno', email: 'firma@proveedor.example' },
  clientSigner: { name: 'Cliente Aprobador', email: 'aprobador@cliente.example' },
});

const envelopeCalls = () => sandbox.requests.filter((r) => r.path.includes('/envelopes'));
const tokenCalls = () => sandbox.requests.filter((r) => r.path === '/oauth/token');

describe('JWT grant', () => {
  it('exchanges an RS256 assertion with the documented claims and sends the token as a bearer', async () => {
    const grantsBefore = sandbox.tokenGrants.length;
    await adapter().createEnvelope(request());
    const claims = sandbox.tokenGrants[grantsBefore];
    expect(claims).toMatchObject({
      iss: ids.integrationKey,
      sub: ids.userId,
      aud: new URL(sandbox.url).host,
      scope: 'signature impersonation',
    });
    expect((claims?.exp ?? 0) - (claims?.iat ?? 0)).toBe(3600);
    expect(tokenCalls()[0]?.body).toEqual({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: '***' });
    expect(tokenCalls()[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    for (const call of envelopeCalls()) expect(call.headers.authorization).toBe('Bearer ***');
  });

  it('keeps the token until shortly before it expires, then obtains a new one', async () => {
    const docusign = adapter();
    await docusign.createEnvelope(request());
    await docusign.createEnvelope(request());
    expect(tokenCalls()).toHaveLength(1);
    clock += (3600 - 300 + 1) * 1000; // past expiry minus the 5-minute margin
    await docusign.createEnvelope(request());
    expect(tokenCalls()).toHaveLength(2);
  });

  it('a token DocuSign stops accepting (401) is replaced once', async () => {
    const docusign = adapter();
    await docusign.createEnvelope(request());
    sandbox.revokeTokens();
    await docusign.createEnvelope(request());
    expect(tokenCalls()).toHaveLength(2);
    expect(envelopeCalls().filter((c) => c.status === 401)).toHaveLength(1);
  });

  it('an assertion signed with the wrong key is rejected, and the key is in no message', async () => {
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const err = await failure(adapter(fastPolicy('docusign'), other.privateKey).createEnvelope(request()));
    expect(err).toBeInstanceOf(PartnerRejectedError);
    expect(err).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(String(err)).not.toContain('PRIVATE KEY');
    expect(envelopeCalls()).toHaveLength(0);
  });
});

describe('envelopes', () => {
  it('creates the envelope from the template with both roles, the order data and status sent', async () => {
    const input = request();
    const { envelopeId, created } = await adapter().createEnvelope(input);
    expect(created).toBe(true);
    const envelope = sandbox.envelope(envelopeId);
    expect(envelope).toMatchObject({
      status: 'sent',
      templateId: ids.templateId,
      emailSubject: `Contrato de servicio: ${input.title}`,
    });
    expect(envelope?.templateRoles.map((r) => [r.roleName, r.name, r.email])).toEqual([
      ['provider', 'Proveedor Uno', 'firma@proveedor.example'],
      ['client', 'Cliente Aprobador', 'aprobador@cliente.example'],
    ]);
    expect(envelope?.templateRoles[0]?.textTabs).toEqual([
      { tabLabel: 'orderId', value: input.orderId },
      { tabLabel: 'orderTitle', value: input.title },
      { tabLabel: 'contractAmount', value: formatAmount(input.amount) },
      { tabLabel: 'currency', value: 'COP' },
    ]);
    expect(envelope?.textCustomFields).toEqual([
      { name: 'orderId', value: input.orderId },
      { name: 'clientId', value: 'cli_1' },
    ]);
    expect(formatAmount(input.amount)).toMatch(/1\.250\.000/);
    const search = envelopeCalls().find((c) => c.method === 'GET');
    const query = new URL(search?.path ?? '', 'http://x').searchParams;
    expect(query.get('custom_field')).toBe(`orderId=${input.orderId}`);
    expect(Date.parse(query.get('from_date') ?? '')).toBeLessThan(clock);
  });

  it('writes amounts from minor units, with decimals only when there are any', () => {
    expect(formatAmount({ amount: 125_000_000, currency: 'COP' })).toBe('$\u00a01.250.000');
    expect(formatAmount({ amount: 12_345, currency: 'COP' })).toBe('$\u00a0123,45');
    expect(formatAmount({ amount: 5_000, currency: 'JPY' })).toContain('5.000');
  });

  it('is idempotent per order: a second call returns the same envelope and creates nothing', async () => {
    const docusign = adapter();
    const input = request();
    const first = await docusign.createEnvelope(input);
    const second = await docusign.createEnvelope(input);
    expect(second).toEqual({ envelopeId: first.envelopeId, created: false });
    expect(sandbox.envelopes().filter((e) => e.textCustomFields.some((f) => f.value === input.orderId))).toHaveLength(1);
  });

  it('a create whose answer is lost is found by the retry, not created twice', async () => {
    const input = request();
    sandbox.loseResponses(1, { match: { method: 'POST', path: /\/envelopes$/ } });
    const result = await adapter().createEnvelope(input);
    expect(result.created).toBe(false);
    expect(sandbox.envelopes().filter((e) => e.textCustomFields.some((f) => f.value === input.orderId))).toHaveLength(1);
    expect(envelopeCalls().map((c) => `${c.method}:${c.outcome}`)).toEqual(['GET:handled', 'POST:lost', 'GET:handled']);
  });

  it('a 503 on create is retried and makes one envelope', async () => {
    const input = request();
    sandbox.failNext(1, 503, { match: { method: 'POST', path: /\/envelopes$/ } });
    await adapter().createEnvelope(input);
    expect(sandbox.envelopes().filter((e) => e.textCustomFields.some((f) => f.value === input.orderId))).toHaveLength(1);
    expect(
      envelopeCalls()
        .filter((c) => c.method === 'POST')
        .map((c) => c.outcome),
    ).toEqual(['failed', 'handled']);
  });

  it('a declined envelope does not count: the next contract round gets a new one', async () => {
    const docusign = adapter();
    const input = request();
    const first = await docusign.createEnvelope(input);
    await sandbox.decline(first.envelopeId);
    const second = await docusign.createEnvelope(input);
    expect(second.created).toBe(true);
    expect(second.envelopeId).not.toBe(first.envelopeId);
  });

  it('a 400 from the API is a PartnerRejectedError carrying DocuSign error code', async () => {
    sandbox.failNext(1, 400, {
      body: { errorCode: 'TEMPLATE_NOT_FOUND', message: 'no template' },
      match: { method: 'POST', path: /\/envelopes$/ },
    });
    const err = await failure(adapter().createEnvelope(request()));
    expect(err).toBeInstanceOf(PartnerRejectedError);
    expect(err).toMatchObject({ status: 400, body: { errorCode: 'TEMPLATE_NOT_FOUND' } });
  });

  it('the combined document is the signed PDF', async () => {
    const docusign = adapter();
    const { envelopeId } = await docusign.createEnvelope(request());
    await sandbox.complete(envelopeId);
    const pdf = await docusign.getCombinedDocument(envelopeId);
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    expect(Buffer.from(pdf).toString('latin1')).toContain('%%EOF');
    const call = envelopeCalls().find((c) => c.path.endsWith('/documents/combined'));
    expect(call?.headers.accept).toBe('application/pdf');
  });
});

describe('outage', () => {
  it('a partner that answers 503 and then hangs opens the circuit; calls fail fast; it closes after recovery', async () => {
    const policy = fastPolicy('docusign', {
      timeoutMs: 1_000,
      retries: 1,
      breaker: { consecutiveFailures: 4, halfOpenAfterMs: 1_500 },
    });
    const docusign = adapter(policy);
    const input = request();
    sandbox.failNext(2, 503, { match: { path: /\/envelopes$/ } });
    sandbox.hang(5_000, { match: { path: /\/envelopes$/ } });
    expect(await failure(docusign.createEnvelope(input))).toMatchObject({ reason: 'server-error' });
    expect(await failure(docusign.createEnvelope(input))).toMatchObject({ reason: 'timeout' });
    expect(policy.circuit()).toBe('open');
    const seen = sandbox.requests.length;
    const fast = await failure(docusign.createEnvelope(input));
    expect(fast).toBeInstanceOf(PartnerUnavailableError);
    expect(fast).toMatchObject({ reason: 'circuit-open' });
    expect(sandbox.requests.length).toBe(seen);

    sandbox.recover();
    await sleep(1_600);
    const { created } = await docusign.createEnvelope(input);
    expect(created).toBe(true);
    expect(policy.circuit()).toBe('closed');
    expect(sandbox.envelopes().filter((e) => e.textCustomFields.some((f) => f.value === input.orderId))).toHaveLength(1);
  });
});

describe('sign page and Connect', () => {
  it('GET serves the form; POST signs and posts a Connect message signed with every key', async () => {
    const input = request();
    const { envelopeId } = await adapter().createEnvelope(input);
    const page = await fetch(sandbox.signUrl(envelopeId));
    expect(await page.text()).toContain('<form method="post">');

    const before = webhook.received.length;
    const signed = await fetch(sandbox.signUrl(envelopeId), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=sign',
    });
    expect(signed.status).toBe(200);
    const message = webhook.received[before];
    expect(message).toBeDefined();
    const headers = Object.fromEntries(Object.entries(message!.headers).map(([k, v]) => [k, String(v)]));
    expect(verifyConnectSignature(message!.rawBody, headers, ['connect-key-two'])).toBe(true);
    expect(verifyConnectSignature(message!.rawBody, headers, ['not-our-key'])).toBe(false);
    expect(parseConnectEvent(message!.rawBody)).toMatchObject({
      event: 'envelope-completed',
      envelopeId,
      orderId: input.orderId,
    });
    expect(sandbox.envelope(envelopeId)?.status).toBe('completed');

    const again = await fetch(sandbox.signUrl(envelopeId), {
      method: 'POST',
      body: 'action=sign',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(again.status).toBe(409);
  });

  it('decline and void post their events; a redelivery is byte for byte the same message', async () => {
    const a = await adapter().createEnvelope(request());
    const b = await adapter().createEnvelope(request());
    const declined = await sandbox.decline(a.envelopeId);
    const voided = await sandbox.voidEnvelope(b.envelopeId);
    expect(declined.status).toBe(200);
    expect(parseConnectEvent(Buffer.from(declined.rawBody)).event).toBe('envelope-declined');
    expect(parseConnectEvent(Buffer.from(voided.rawBody)).event).toBe('envelope-voided');
    const index = sandbox.deliveries.indexOf(declined);
    const replay = await sandbox.redeliver(index);
    expect(replay.rawBody).toBe(declined.rawBody);
    expect(webhook.received.at(-1)?.rawBody.toString('utf8')).toBe(declined.rawBody);
  });
});
