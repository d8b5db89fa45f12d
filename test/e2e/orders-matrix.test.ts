import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevIssuer } from '../../local/dev-issuer';
import { DEMO } from '../../local/seed';
import { contractSigned } from '../../shared/application/orders/lifecycle';
import { ORDER_RULES, type ApiAction } from '../../shared/domain/orders/lifecycle';
import { apiClient, startTestStack } from '../support/stack';
import { PNG, putFile } from '../support/files';

/**
 * The role × tenant matrix over every order endpoint and every action, over HTTP on the local host.
 * Orders are walked through the lifecycle; at each step every caller the state table does not allow
 * tries the step first and is refused — 404 when the order is outside its tenant or invitations,
 * 403 when it sees the order but its role may not act — with the order unchanged; then an allowed
 * caller takes the step. The expectations come from ORDER_RULES, so the table and the API agree.
 *
 * Raw HTTP (`apiClient`), not the typed client: the same request is sent for every action and caller
 * from the table's rows, so no call names an operation the compiler could check. That the table's
 * actions are exactly the client's operations is checked at the type level in
 * test/unit/client-contract.test.ts.
 */
type Caller = 'admin' | 'operator' | 'client' | 'provider' | 'otherClient' | 'otherProvider';
const CALLERS: readonly Caller[] = ['admin', 'operator', 'client', 'provider', 'otherClient', 'otherProvider'];
const ROLE: Record<Caller, string> = {
  admin: 'admin',
  operator: 'operator',
  client: 'client',
  provider: 'provider',
  otherClient: 'client',
  otherProvider: 'provider',
};

let stack: Awaited<ReturnType<typeof startTestStack>>;
let api: ReturnType<typeof apiClient>;
const tokens = {} as Record<Caller, string>;

beforeAll(async () => {
  stack = await startTestStack();
  api = apiClient(`${stack.url}/api`);
  Object.assign(tokens, stack.tokens);
  const issuer = await loadOrCreateDevIssuer(join(stack.dataDir, 'dev-issuer'));
  const options = { issuer: process.env.AUTH_ISSUER!, audience: process.env.AUTH_AUDIENCE!, expiresIn: '1h' };
  tokens.otherClient = await issuer.mint(
    { sub: 'u-other-client', role: 'client', clientId: 'cli_00000000000000000000000009', name: 'X' },
    options,
  );
  tokens.otherProvider = await issuer.mint(
    { sub: 'u-other-provider', role: 'provider', providerId: DEMO.providerIds[1], name: 'Y' },
    options,
  );
});
afterAll(async () => {
  await stack?.dispose();
});

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
const money = (amount: number) => ({ amount, currency: 'COP' });
let invoiceSeq = 0;

/** Who can see the order at all: staff, its client, and the provider once invited or assigned. */
function sees(caller: Caller, providerInvolved: boolean): boolean {
  if (caller === 'otherClient' || caller === 'otherProvider') return false;
  return caller !== 'provider' || providerInvolved;
}

async function snapshot(orderId: string) {
  const r = await api('GET', `/v1/orders/${orderId}`, { token: tokens.operator });
  const h = await api('GET', `/v1/orders/${orderId}/history?limit=100`, { token: tokens.operator });
  // By version, not ETag: background steps (the Asana task, the asset check, SLA checks) amend the
  // order without a new version, and may do so while the refused attempts run.
  return { version: r.body.version, status: r.body.status, history: h.body.items.length };
}

async function newOrder(title: string): Promise<string> {
  const r = await api('POST', '/v1/orders', {
    token: tokens.client,
    body: { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title, description: 'Matriz' },
  });
  expect(r.status).toBe(201);
  return r.body.id;
}

async function photo(orderId: string): Promise<string> {
  const r = await api('POST', `/v1/orders/${orderId}/attachments`, {
    token: tokens.provider,
    body: { kind: 'photo', fileName: 'f.png', contentType: 'image/png', size: PNG.length },
  });
  expect(await putFile(r.body.upload, PNG)).toBe(201);
  expect(
    (await api('POST', `/v1/orders/${orderId}/attachments/${r.body.attachment.id}/confirm`, { token: tokens.provider })).status,
  ).toBe(200);
  return r.body.attachment.id;
}

/**
 * One step: every caller the table refuses tries first (404 or 403, order unchanged), then `by`
 * takes it. Answers the order after the step.
 */
async function step(orderId: string, action: ApiAction, by: Caller, body: unknown, providerInvolved: boolean) {
  const allowed = ORDER_RULES[action].roles as readonly string[];
  expect(allowed, `${action} by ${by}`).toContain(ROLE[by]);
  const before = await snapshot(orderId);
  for (const caller of CALLERS) {
    const visible = sees(caller, providerInvolved);
    if (visible && allowed.includes(ROLE[caller])) continue;
    const r = await api('POST', `/v1/orders/${orderId}/actions/${action}`, { token: tokens[caller], body });
    expect(r.status, `${action} by ${caller}: ${r.text}`).toBe(visible ? 403 : 404);
  }
  expect(await snapshot(orderId), `${action}: refused attempts changed the order`).toEqual(before);
  const done = await api('POST', `/v1/orders/${orderId}/actions/${action}`, { token: tokens[by], body });
  expect(done.status, `${action} by ${by}: ${done.text}`).toBe(200);
  return done.body;
}

async function signContract(orderId: string) {
  const { lifecycleDeps } = await import('../../functions/wiring');
  await contractSigned(await lifecycleDeps(), { correlationId: 'matrix' }, DEMO.clientId, orderId);
}

/** Reads of an order: who gets 200 and who 404, for every read endpoint. */
async function expectReads(orderId: string, providerInvolved: boolean) {
  for (const path of ['', '/history', '/quotes', '/attachments']) {
    for (const caller of CALLERS) {
      const r = await api('GET', `/v1/orders/${orderId}${path}`, { token: tokens[caller] });
      expect(r.status, `GET ${path || '/'} by ${caller}`).toBe(sees(caller, providerInvolved) ? 200 : 404);
    }
  }
}

describe('orders: role × tenant matrix', () => {
  it('creating and listing: clients for their own client, staff for any, providers never; lists never cross tenants', async () => {
    const body = { siteId: DEMO.siteIds[0], category: 'hvac', priority: 'P3', title: 'Crear', description: 'x' };
    expect((await api('POST', '/v1/orders', { token: tokens.client, body })).status).toBe(201);
    expect((await api('POST', '/v1/orders', { token: tokens.operator, body: { ...body, clientId: DEMO.clientId } })).status).toBe(
      201,
    );
    expect((await api('POST', '/v1/orders', { token: tokens.admin, body: { ...body, clientId: DEMO.clientId } })).status).toBe(
      201,
    );
    expect((await api('POST', '/v1/orders', { token: tokens.provider, body: { ...body, clientId: DEMO.clientId } })).status).toBe(
      403,
    );
    expect(
      (await api('POST', '/v1/orders', { token: tokens.otherClient, body: { ...body, clientId: DEMO.clientId } })).status,
    ).toBe(404);
    // The other client names the demo site as its own: not its site.
    expect((await api('POST', '/v1/orders', { token: tokens.otherClient, body })).status).toBe(422);
    for (const caller of ['otherClient', 'otherProvider'] as const) {
      const r = await api('GET', '/v1/orders?limit=100', { token: tokens[caller] });
      expect(r.status).toBe(200);
      expect(r.body.items.filter((o: { clientId: string }) => o.clientId === DEMO.clientId)).toEqual([]);
    }
    const own = await api('GET', '/v1/orders?limit=100', { token: tokens.client });
    expect(own.body.items.length).toBeGreaterThanOrEqual(3);
    expect(own.body.items.every((o: { clientId: string }) => o.clientId === DEMO.clientId)).toBe(true);
  });

  it('every step of the quote path, field work with rework, verification, rating, invoice and close', async () => {
    const id = await newOrder('Matriz completa');
    await expectReads(id, false);
    await step(id, 'triage', 'operator', { priority: 'P2' }, false);
    await step(id, 'request-quotes', 'operator', { quoteDeadline: inHours(2) }, false);
    await expectReads(id, true);
    // Quotes: only the invited provider submits; others see 403 (they see the order) or 404.
    const quoteBody = { amount: money(900_000_00), leadTimeDays: 2, validUntil: inHours(24 * 30).slice(0, 10) };
    for (const caller of CALLERS.filter((c) => c !== 'provider')) {
      const r = await api('POST', `/v1/orders/${id}/quotes`, { token: tokens[caller], body: quoteBody });
      expect(r.status, `quote by ${caller}`).toBe(sees(caller, true) ? 403 : 404);
    }
    const quote = await api('POST', `/v1/orders/${id}/quotes`, { token: tokens.provider, body: quoteBody });
    expect(quote.status).toBe(201);
    // Attachments: anyone who sees the order; nobody else.
    for (const caller of CALLERS) {
      const r = await api('POST', `/v1/orders/${id}/attachments`, {
        token: tokens[caller],
        body: { kind: 'photo', fileName: 'f.png', contentType: 'image/png', size: PNG.length },
      });
      expect(r.status, `attachment by ${caller}`).toBe(sees(caller, true) ? 201 : 404);
      if (r.status !== 201) continue;
      for (const stranger of CALLERS.filter((c) => !sees(c, true))) {
        const confirm = await api('POST', `/v1/orders/${id}/attachments/${r.body.attachment.id}/confirm`, {
          token: tokens[stranger],
        });
        expect(confirm.status).toBe(404);
      }
    }
    await step(id, 'select-quote', 'operator', { quoteId: quote.body.id }, true);
    await step(id, 'approve', 'client', undefined, true);
    await signContract(id);
    for (let round = 0; round < 2; round++) {
      await step(id, 'schedule', 'provider', { visitAt: inHours(24 + round) }, true);
      await step(id, 'check-in', 'provider', undefined, true);
      if (round === 0) {
        await step(id, 'hold', 'provider', { reason: 'Repuesto' }, true);
        await step(id, 'resume', 'operator', { reason: 'Llegó' }, true);
      } else {
        // An NTE increase (issue 17): the assigned provider asks, the client approves (no chain: its limit covers it).
        const more = { amount: money(1_000_000_00), reason: 'Más material', attachmentIds: [await photo(id)] };
        await step(id, 'request-nte-increase', 'provider', more, true);
        const raised = await step(id, 'approve-nte-increase', 'client', undefined, true);
        expect(raised.approvedAmount).toEqual(money(1_000_000_00));
      }
      await step(id, 'complete', 'provider', { report: 'Hecho', attachmentIds: [await photo(id)] }, true);
      if (round === 0) await step(id, 'request-rework', 'client', { reason: 'Sigue fallando' }, true);
    }
    await step(id, 'verify', 'client', undefined, true);
    await step(id, 'rate', 'client', { score: 4 }, true);
    // Above the quote's 900,000: the raised NTE allows it.
    await step(id, 'invoice', 'provider', { invoiceNumber: `MX-${++invoiceSeq}-${Date.now()}`, amount: money(950_000_00) }, true);
    const closed = await step(id, 'close', 'operator', undefined, true);
    expect(closed.status).toBe('CLOSED');
    await expectReads(id, true);
  });

  it('reject, assign, reject-quote and cancel, each with its roles', async () => {
    const rejected = await newOrder('Rechazo');
    expect((await step(rejected, 'reject', 'operator', { reason: 'Duplicada' }, false)).status).toBe('REJECTED');

    const assigned = await newOrder('Asignación');
    await step(assigned, 'triage', 'operator', undefined, false);
    const a = await step(assigned, 'assign', 'admin', { providerId: DEMO.providerIds[0], amount: money(100_000_00) }, false);
    expect(a).toMatchObject({ status: 'CONTRACTING', providerId: DEMO.providerIds[0] });

    const quoted = await newOrder('Rechazo de cotización');
    await step(quoted, 'triage', 'operator', undefined, false);
    await step(quoted, 'request-quotes', 'operator', { quoteDeadline: inHours(2) }, false);
    const quote = await api('POST', `/v1/orders/${quoted}/quotes`, {
      token: tokens.provider,
      body: { amount: money(100_000_00), leadTimeDays: 1, validUntil: inHours(24 * 30).slice(0, 10) },
    });
    await step(quoted, 'select-quote', 'operator', { quoteId: quote.body.id }, true);
    expect((await step(quoted, 'reject-quote', 'client', { reason: 'Cara' }, true)).status).toBe('QUOTING');
  });

  it('cancellation from every state that allows it: the client before CONTRACTING, an operator until WORK_COMPLETED', async () => {
    const reasons = { reason: 'Ya no se necesita' };
    /** Drives a fresh order to the state, returning its id and whether the provider is involved. */
    const to = async (state: string): Promise<[string, boolean]> => {
      const id = await newOrder(`Cancelar en ${state}`);
      if (state === 'SUBMITTED') return [id, false];
      await api('POST', `/v1/orders/${id}/actions/triage`, { token: tokens.operator });
      if (state === 'TRIAGED') return [id, false];
      if (state === 'QUOTING' || state === 'AWAITING_APPROVAL') {
        await api('POST', `/v1/orders/${id}/actions/request-quotes`, {
          token: tokens.operator,
          body: { quoteDeadline: inHours(2) },
        });
        if (state === 'QUOTING') return [id, true];
        const q = await api('POST', `/v1/orders/${id}/quotes`, {
          token: tokens.provider,
          body: { amount: money(100_000_00), leadTimeDays: 1, validUntil: inHours(24 * 30).slice(0, 10) },
        });
        await api('POST', `/v1/orders/${id}/actions/select-quote`, { token: tokens.operator, body: { quoteId: q.body.id } });
        return [id, true];
      }
      await api('POST', `/v1/orders/${id}/actions/assign`, {
        token: tokens.operator,
        body: { providerId: DEMO.providerIds[0], amount: money(100_000_00) },
      });
      if (state === 'CONTRACTING') return [id, true];
      await signContract(id);
      if (state === 'SCHEDULED') return [id, true];
      await api('POST', `/v1/orders/${id}/actions/schedule`, { token: tokens.provider, body: { visitAt: inHours(3) } });
      await api('POST', `/v1/orders/${id}/actions/check-in`, { token: tokens.provider });
      if (state === 'IN_PROGRESS') return [id, true];
      if (state === 'ON_HOLD') {
        await api('POST', `/v1/orders/${id}/actions/hold`, { token: tokens.provider, body: { reason: 'Espera' } });
        return [id, true];
      }
      const completed = await api('POST', `/v1/orders/${id}/actions/complete`, {
        token: tokens.provider,
        body: { report: 'Trabajo hecho', attachmentIds: [await photo(id)] },
      });
      expect(completed.status, completed.text).toBe(200);
      return [id, true]; // WORK_COMPLETED
    };
    const byClient = ['SUBMITTED', 'TRIAGED', 'QUOTING', 'AWAITING_APPROVAL'];
    const byOperatorOnly = ['CONTRACTING', 'SCHEDULED', 'IN_PROGRESS', 'ON_HOLD'];
    for (const state of [...byClient, ...byOperatorOnly]) {
      const [id, involved] = await to(state);
      expect((await snapshot(id)).status).toBe(state);
      if (byClient.includes(state)) {
        expect((await step(id, 'cancel', 'client', reasons, involved)).status).toBe('CANCELLED');
      } else {
        const refused = await api('POST', `/v1/orders/${id}/actions/cancel`, { token: tokens.client, body: reasons });
        expect(refused.status).toBe(409);
        expect(refused.body).toMatchObject({ currentState: state });
        expect((await step(id, 'cancel', 'operator', reasons, involved)).status).toBe('CANCELLED');
      }
    }
    // From WORK_COMPLETED on, nobody cancels.
    const [done] = await to('WORK_COMPLETED');
    expect((await snapshot(done)).status).toBe('WORK_COMPLETED');
    for (const caller of ['admin', 'operator', 'client'] as const) {
      const r = await api('POST', `/v1/orders/${done}/actions/cancel`, { token: tokens[caller], body: reasons });
      expect(r.status).toBe(409);
      expect(r.body.allowedActions).not.toContain('cancel');
    }
  });
});
