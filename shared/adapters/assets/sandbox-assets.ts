import type { Asset, AssetRegistry, MaintenanceRecord } from '../../application/assets';

/**
 * The assets system's stand-in on the local stack and in tests: a fixed catalogue and the
 * maintenance records posted to it, kept in memory (one process). Same contract as the real
 * adapter: unknown codes are "not found", records are idempotent by order id.
 */
export class SandboxAssets implements AssetRegistry {
  readonly records = new Map<string, MaintenanceRecord>();

  constructor(private readonly catalogue: readonly Asset[]) {}

  async find(clientId: string, siteId: string, assetCode: string): Promise<Asset | undefined> {
    const code = assetCode.trim().toUpperCase();
    return this.catalogue.find((a) => a.clientId === clientId && a.siteId === siteId && a.code === code);
  }

  async recordMaintenance(record: MaintenanceRecord): Promise<void> {
    if (!this.records.has(record.orderId)) this.records.set(record.orderId, record);
  }
}
