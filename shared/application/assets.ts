import type { ServiceCategory } from '../domain/orders/order';

/**
 * The client's assets system (DESIGN 3): the equipment an order is about, and the maintenance
 * history kept on it. Called only from workflows; the Integrations issue gives it its HTTP adapter,
 * resilience and secrets, the local stack uses the sandbox.
 */
export interface Asset {
  readonly code: string;
  readonly clientId: string;
  readonly siteId: string;
  readonly name: string;
  readonly category?: ServiceCategory;
  readonly model?: string;
}

export interface MaintenanceRecord {
  readonly orderId: string;
  readonly clientId: string;
  readonly siteId: string;
  readonly assetCode: string;
  readonly category: ServiceCategory;
  readonly providerId?: string;
  readonly summary: string;
  readonly completedAt?: string;
  readonly closedAt: string;
}

export interface AssetRegistry {
  /** The asset with this code at this client's site, or undefined when the system does not know it. */
  find(clientId: string, siteId: string, assetCode: string): Promise<Asset | undefined>;
  /** Posts the record of a closed order; idempotent by `orderId` (a redelivery posts nothing new). */
  recordMaintenance(record: MaintenanceRecord): Promise<void>;
}
