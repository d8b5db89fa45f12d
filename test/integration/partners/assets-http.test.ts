import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PartnerRejectedError, PartnerUnavailableError } from '../../../shared/application/integrations/errors';
import type { MaintenanceRecord } from '../../../shared/application/assets';
import { HttpAssetRegistry } from '../../../shared/adapters/partners/assets-http';
import { PARTNER_SECRETS } from '../../../shared/adapters/partners/secret-names';
import { startAssetsSandbox, type AssetsSandbox } from '../../../local/sandboxes/assets-sandbox';
import { failure, fastPolicy, memorySecrets, tempDir } from './support';

/** The assets system's HTTP adapter against the assets sandbox (seeded with the demo catalogue). */
const API_KEY = 'assets-api-key-for-tests';
const CLIENT = 'cli_00000000000000000000000001';
const BOGOTA = 'sit_00000000000000000000000001';
let dir: Awaited<ReturnType<typeof tempDir>>;
let sandbox: AssetsSandbox;

beforeAll(async () => {
  dir = await tempDir();
  sandbox = await startAssetsSandbox({ dataDir: dir.path, apiKey: API_KEY });
});
afterAll(async () => {
  await sandbox.close();
  await dir.dispose();
});
afterEach(() => {
  sandbox.recover();
  sandbox.clearRequests();
});

const registry = (key = API_KEY, baseUrl = `${sandbox.url}/api/v1`) =>
  new HttpAssetRegistry({ baseUrl }, memorySecrets({ [PARTNER_SECRETS.assetsApiKey]: key }), fastPolicy('assets'));
const record = (orderId: string): MaintenanceRecord => ({
  orderId,
  clientId: CLIENT,
  siteId: BOGOTA,
  assetCode: 'hvac-001',
  category: 'hvac',
  providerId: 'prv_1',
  summary: 'Cambio de filtros y recarga de gas',
  completedAt: '2025-03-01T15:00:00.000Z',
  closedAt: '2025-03-02T10:00:00.000Z',
});

describe('asset lookup', () => {
  it('finds a catalogue asset at its client and site (code trimmed, any case), with the API key header', async () => {
    const asset = await registry().find(CLIENT, BOGOTA, '  hvac-001 ');
    expect(asset).toEqual({
      code: 'HVAC-001',
      clientId: CLIENT,
      siteId: BOGOTA,
      name: 'Aire acondicionado piso 3',
      category: 'hvac',
      model: 'Carrier 42QHC',
    });
    expect(sandbox.requests[0]).toMatchObject({
      method: 'GET',
      path: `/api/v1/clients/${CLIENT}/sites/${BOGOTA}/assets/HVAC-001`,
    });
    expect(sandbox.requests[0]?.headers['x-api-key']).toBe('***');
  });

  it('an unknown code, or a known code at another site, is undefined', async () => {
    expect(await registry().find(CLIENT, BOGOTA, 'NOPE-999')).toBeUndefined();
    expect(await registry().find(CLIENT, 'sit_00000000000000000000000002', 'HVAC-001')).toBeUndefined();
  });

  it('a 404 that is not "asset-not-found" (a wrong base URL) is a rejection, not an unknown asset', async () => {
    const err = await failure(registry(API_KEY, `${sandbox.url}/wrong`).find(CLIENT, BOGOTA, 'HVAC-001'));
    expect(err).toBeInstanceOf(PartnerRejectedError);
    expect(err).toMatchObject({ status: 404 });
  });

  it('a wrong API key is a PartnerRejectedError 401 whose message does not carry the key', async () => {
    const err = await failure(registry('wrong-key-value').find(CLIENT, BOGOTA, 'HVAC-001'));
    expect(err).toMatchObject({ status: 401 });
    expect(String(err)).not.toContain('wrong-key-value');
  });

  it('503 then answer: retried; 503 for good: PartnerUnavailableError', async () => {
    sandbox.failNext(1, 503);
    expect(await registry().find(CLIENT, BOGOTA, 'PLUM-001')).toMatchObject({ code: 'PLUM-001' });
    sandbox.failNext(10, 503);
    expect(await failure(registry().find(CLIENT, BOGOTA, 'PLUM-001'))).toBeInstanceOf(PartnerUnavailableError);
  });
});

describe('maintenance records', () => {
  it('PUTs the record by order id; a second post is answered with the stored one and stores nothing new', async () => {
    await registry().recordMaintenance(record('ord_m1'));
    await registry().recordMaintenance({ ...record('ord_m1'), summary: 'otra vez' });
    const stored = sandbox.records().filter((r) => r.orderId === 'ord_m1');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ summary: 'Cambio de filtros y recarga de gas', assetCode: 'HVAC-001' });
    expect(sandbox.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['PUT', '/api/v1/maintenance-records/ord_m1', 201],
      ['PUT', '/api/v1/maintenance-records/ord_m1', 200],
    ]);
  });

  it('a lost answer to the PUT is retried safely (idempotent by order id)', async () => {
    sandbox.loseResponses(1);
    await registry().recordMaintenance(record('ord_m2'));
    expect(sandbox.records().filter((r) => r.orderId === 'ord_m2')).toHaveLength(1);
    expect(sandbox.requests.map((r) => r.outcome)).toEqual(['lost', 'handled']);
  });

  it('an invalid record is a PartnerRejectedError 422, not retried', async () => {
    const err = await failure(registry().recordMaintenance({ ...record('ord_m3'), closedAt: 'yesterday' }));
    expect(err).toMatchObject({ status: 422, body: { error: 'invalid-record' } });
    expect(sandbox.requests).toHaveLength(1);
  });
});
