import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PartnerRejectedError } from '../../../shared/application/integrations/errors';
import { QsystemsTicketSystem } from '../../../shared/adapters/partners/qsystems';
import { PARTNER_SECRETS } from '../../../shared/adapters/partners/secret-names';
import { startQsystemsSandbox, type QsystemsSandbox } from '../../../local/sandboxes/qsystems-sandbox';
import { failure, fastPolicy, memorySecrets, tempDir } from './support';

/** The Qsystems adapter against its sandbox: ordered status pushes, stale updates, errors. */
const TOKEN = 'qsystems-token-for-tests';
let dir: Awaited<ReturnType<typeof tempDir>>;
let sandbox: QsystemsSandbox;

beforeAll(async () => {
  dir = await tempDir();
  sandbox = await startQsystemsSandbox({
    dataDir: dir.path,
    apiToken: TOKEN,
    knownTickets: ['QS-1', 'QS-2', 'QS-3', 'QS-4', 'QS-9'],
  });
});
afterAll(async () => {
  await sandbox.close();
  await dir.dispose();
});
afterEach(() => {
  sandbox.recover();
  sandbox.clearRequests();
});

const tickets = (token = TOKEN) =>
  new QsystemsTicketSystem(
    { baseUrl: `${sandbox.url}/api/v1` },
    memorySecrets({ [PARTNER_SECRETS.qsystemsApiToken]: token }),
    fastPolicy('qsystems'),
  );
const push = (ticketRef: string, status: string, sequence: number) => ({
  ticketRef,
  status,
  sequence,
  at: new Date().toISOString(),
});

describe('status pushes', () => {
  it('PUTs the status with its sequence and a bearer token', async () => {
    expect(await tickets().pushStatus(push('QS-1', 'TRIAGED', 2))).toEqual({ applied: true });
    const r = sandbox.requests[0];
    expect(r).toMatchObject({ method: 'PUT', path: '/api/v1/tickets/QS-1/status', status: 200 });
    expect(r?.body).toMatchObject({ status: 'TRIAGED', sequence: 2, source: 'algesta' });
    expect(r?.headers.authorization).toBe('Bearer ***');
  });

  it('sends the status it changed from (null for the creation); the ticket records each transition', async () => {
    await tickets().pushStatus({ ...push('QS-9', 'SUBMITTED', 1), from: null });
    await tickets().pushStatus({ ...push('QS-9', 'TRIAGED', 2), from: 'SUBMITTED' });
    expect(sandbox.requests.map((r) => (r.body as { from?: unknown }).from)).toEqual([null, 'SUBMITTED']);
    expect(sandbox.ticket('QS-9')?.history.map((h) => [h.from, h.status, h.sequence])).toEqual([
      [null, 'SUBMITTED', 1],
      ['SUBMITTED', 'TRIAGED', 2],
    ]);
  });

  it('a stale or repeated update is refused there (409) and is success here; the newer status stays', async () => {
    const qs = tickets();
    await qs.pushStatus(push('QS-2', 'QUOTING', 4));
    await qs.pushStatus(push('QS-2', 'CONTRACTING', 7));
    expect(await qs.pushStatus(push('QS-2', 'AWAITING_APPROVAL', 5))).toEqual({ applied: false });
    expect(await qs.pushStatus(push('QS-2', 'CONTRACTING', 7))).toEqual({ applied: false });
    expect(sandbox.ticket('QS-2')).toMatchObject({ status: 'CONTRACTING', sequence: 7 });
    expect(sandbox.ticket('QS-2')?.history.map((h) => h.sequence)).toEqual([4, 7]);
    expect(sandbox.requests.map((r) => r.status)).toEqual([200, 200, 409, 409]);
  });

  it('a 409 that is not the stale-sequence answer is a rejection', async () => {
    sandbox.failNext(1, 409, { body: { error: 'ticket-locked' } });
    const err = await failure(tickets().pushStatus(push('QS-3', 'SCHEDULED', 9)));
    expect(err).toBeInstanceOf(PartnerRejectedError);
    expect(err).toMatchObject({ status: 409, body: { error: 'ticket-locked' } });
  });

  it('an unknown ticket, a wrong token or an invalid body are rejections, not retried', async () => {
    expect(await failure(tickets().pushStatus(push('QS-404', 'TRIAGED', 2)))).toMatchObject({ status: 404 });
    expect(await failure(tickets('nope').pushStatus(push('QS-3', 'TRIAGED', 2)))).toMatchObject({ status: 401 });
    expect(await failure(tickets().pushStatus(push('QS-3', 'TRIAGED', 0)))).toMatchObject({ status: 422 });
    expect(sandbox.requests).toHaveLength(3);
  });

  it('an outage is retried and the update lands once', async () => {
    sandbox.failNext(2, 503);
    expect(await tickets().pushStatus(push('QS-4', 'SCHEDULED', 3))).toEqual({ applied: true });
    expect(sandbox.ticket('QS-4')?.history).toHaveLength(1);
    expect(sandbox.requests.map((r) => r.outcome)).toEqual(['failed', 'failed', 'handled']);
  });
});
