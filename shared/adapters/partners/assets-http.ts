import { z } from 'zod';
import { PartnerRejectedError } from '../../application/integrations/errors';
import type { Asset, AssetRegistry, MaintenanceRecord } from '../../application/assets';
import type { SecretStore } from '../../application/integrations/ports';
import { SERVICE_CATEGORIES } from '../../domain/orders/order';
import { partnerFetch, readBody } from './partner-fetch';
import { createPartnerPolicy, type PartnerPolicy } from './resilience';
import { PARTNER_SECRETS } from './secret-names';

/**
 * The client's assets system over HTTP (contract in docs/integrations.md), API key in `X-Api-Key`:
 * - `GET {baseUrl}/clients/{clientId}/sites/{siteId}/assets/{assetCode}` → the asset, or 404
 *   `{ "error": "asset-not-found" }` (any other 404 — a wrong base URL — is a rejection, so a
 *   misconfiguration never passes for "unknown asset");
 * - `PUT {baseUrl}/maintenance-records/{orderId}` → 201 created, or 200 with the record already
 *   kept for that order (first write wins): idempotent by order id.
 * Codes are compared trimmed and upper-cased, as the sandbox catalogue does.
 */
export interface AssetsHttpOptions {
  /** e.g. `https://assets.example.com/api/v1` */
  readonly baseUrl: string;
  readonly apiKeySecret?: string;
}

const PARTNER = 'assets';

const assetBody = z
  .object({
    code: z.string().min(1),
    clientId: z.string().min(1),
    siteId: z.string().min(1),
    name: z.string().min(1),
    category: z.enum(SERVICE_CATEGORIES).optional(),
    model: z.string().optional(),
  })
  .loose();
const notFound = z.object({ error: z.literal('asset-not-found') }).loose();

export class HttpAssetRegistry implements AssetRegistry {
  private readonly baseUrl: string;

  constructor(
    private readonly options: AssetsHttpOptions,
    private readonly secrets: SecretStore,
    private readonly policy: PartnerPolicy = createPartnerPolicy(PARTNER),
  ) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async find(clientId: string, siteId: string, assetCode: string): Promise<Asset | undefined> {
    const code = assetCode.trim().toUpperCase();
    const path = ['clients', clientId, 'sites', siteId, 'assets', code].map(encodeURIComponent).join('/');
    const response = await partnerFetch(this.policy, {
      operation: 'find asset',
      method: 'GET',
      url: `${this.baseUrl}/${path}`,
      headers: await this.auth(),
      accept: [404],
    });
    if (response.status === 404) {
      const body = safeJson(response);
      if (notFound.safeParse(body).success) return undefined;
      throw new PartnerRejectedError(PARTNER, 'find asset', 404, body);
    }
    const a = readBody(assetBody, response, PARTNER, 'find asset');
    return {
      code: a.code,
      clientId: a.clientId,
      siteId: a.siteId,
      name: a.name,
      ...(a.category ? { category: a.category } : {}),
      ...(a.model ? { model: a.model } : {}),
    };
  }

  async recordMaintenance(record: MaintenanceRecord): Promise<void> {
    await partnerFetch(this.policy, {
      operation: 'record maintenance',
      method: 'PUT',
      url: `${this.baseUrl}/maintenance-records/${encodeURIComponent(record.orderId)}`,
      headers: await this.auth(),
      json: { ...record, assetCode: record.assetCode.trim().toUpperCase() },
    });
  }

  private async auth(): Promise<Record<string, string>> {
    return { 'x-api-key': await this.secrets.get(this.options.apiKeySecret ?? PARTNER_SECRETS.assetsApiKey) };
  }
}

function safeJson(response: { json(): unknown; text(): string }): unknown {
  try {
    return response.json();
  } catch {
    return response.text().slice(0, 2_000);
  }
}
