import { z } from 'zod';
import type { Asset, MaintenanceRecord } from '../../shared/application/assets';
import { SANDBOX_ASSETS } from '../../shared/adapters/assets/sandbox-catalogue';
import { SERVICE_CATEGORIES } from '../../shared/domain/orders/order';
import { jsonBody, startHttpSandbox, type SandboxControls, type SandboxRequest, type SandboxResponse } from './http-sandbox';
import { JsonState } from './json-state';

/**
 * The client's assets system (contract in docs/integrations.md), API key in `X-Api-Key`:
 * - `GET /api/v1/clients/{clientId}/sites/{siteId}/assets/{assetCode}` → 200 the asset, 404
 *   `{ "error": "asset-not-found" }`; codes compared upper-cased;
 * - `PUT /api/v1/maintenance-records/{orderId}` → 201 stored, 200 when that order already has a
 *   record (the stored one is answered, unchanged: first write wins); 422 for an invalid record or
 *   one whose `orderId` is not the path's;
 * - `GET /api/v1/maintenance-records/{orderId}` → the record or 404.
 * Seeded with the demo client's catalogue (`shared/adapters/assets/sandbox-catalogue.ts`).
 */
export interface AssetsSandboxOptions {
  readonly dataDir: string;
  readonly port?: number;
  readonly host?: string;
  readonly apiKey: string;
  readonly catalogue?: readonly Asset[];
  readonly now?: () => Date;
}

export type StoredRecord = MaintenanceRecord & { readonly recordedAt: string };

export interface AssetsSandbox extends SandboxControls {
  records(): readonly StoredRecord[];
}

const recordBody = z.object({
  orderId: z.string().min(1),
  clientId: z.string().min(1),
  siteId: z.string().min(1),
  assetCode: z.string().min(1),
  category: z.enum(SERVICE_CATEGORIES),
  providerId: z.string().optional(),
  summary: z.string(),
  completedAt: z.iso.datetime({ offset: true }).optional(),
  closedAt: z.iso.datetime({ offset: true }),
});

const error = (status: number, code: string, message?: string): SandboxResponse => ({
  status,
  json: { error: code, ...(message ? { message } : {}) },
});

export async function startAssetsSandbox(opts: AssetsSandboxOptions): Promise<AssetsSandbox> {
  const now = opts.now ?? (() => new Date());
  const catalogue = opts.catalogue ?? SANDBOX_ASSETS;
  const state = await JsonState.open<{ records: StoredRecord[] }>(opts.dataDir, () => ({ records: [] }));

  async function handle(req: SandboxRequest): Promise<SandboxResponse> {
    if (req.headers['x-api-key'] !== opts.apiKey) return error(401, 'unauthorized');
    const asset = /^\/api\/v1\/clients\/([^/]+)\/sites\/([^/]+)\/assets\/([^/]+)$/.exec(req.url.pathname);
    if (asset && req.method === 'GET') {
      const [clientId, siteId, code] = asset.slice(1).map((p) => decodeURIComponent(p ?? ''));
      const found = catalogue.find((a) => a.clientId === clientId && a.siteId === siteId && a.code === code?.toUpperCase());
      return found ? { status: 200, json: found } : error(404, 'asset-not-found');
    }
    const record = /^\/api\/v1\/maintenance-records\/([^/]+)$/.exec(req.url.pathname);
    if (record) {
      const orderId = decodeURIComponent(record[1] ?? '');
      const existing = state.value.records.find((r) => r.orderId === orderId);
      if (req.method === 'GET') return existing ? { status: 200, json: existing } : error(404, 'record-not-found');
      if (req.method === 'PUT') {
        const parsed = recordBody.safeParse(jsonBody(req));
        if (!parsed.success) return error(422, 'invalid-record', parsed.error.issues[0]?.message);
        if (parsed.data.orderId !== orderId) return error(422, 'invalid-record', 'orderId differs from the path');
        if (existing) return { status: 200, json: existing };
        const stored: StoredRecord = { ...parsed.data, recordedAt: now().toISOString() };
        state.value.records.push(stored);
        await state.save();
        return { status: 201, json: stored };
      }
    }
    return error(404, 'not-found');
  }

  const http = await startHttpSandbox({
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    handle,
    secretHeaders: ['x-api-key'],
  });
  return Object.assign(http, { records: () => state.value.records });
}
