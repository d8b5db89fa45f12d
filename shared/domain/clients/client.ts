import type { Money } from '../shared/money';
import type { SlaPolicyOverride } from '../orders/sla';
import type { FieldPolicy } from '../orders/field-policy';
import type { GeoPoint } from '../orders/geofence';
import type { ApprovalChain } from '../orders/approval-chain';

/** A client company: the tenant boundary for orders. */
export interface Client {
  readonly id: string;
  readonly name: string;
  /** Colombian NIT or another tax id, as given. */
  readonly taxId?: string;
  readonly timeZone: string;
  readonly currency: string;
  /** Asana project that mirrors this client's orders (Integrations). */
  readonly asanaProjectId?: string;
  /** Overrides of the default SLA table (DESIGN 2.1), per priority and clock. */
  readonly slaPolicy?: SlaPolicyOverride;
  /** Business hours for business-day clocks, local `HH:MM`; default 08:00–18:00. */
  readonly businessHours?: { readonly start: string; readonly end: string };
  /** Who approves what amount, in order (issue 17); absent: each user's `approvalLimit` alone. */
  readonly approvalChain?: ApprovalChain;
  readonly createdAt: string;
  readonly createdBy: string;
  /** Geofence and invoice rules (issue 17, orders/field-policy.ts); absent: the defaults. */
  readonly fieldPolicy?: FieldPolicy;
}

export interface Site {
  readonly id: string;
  readonly clientId: string;
  readonly name: string;
  readonly address: string;
  readonly city: string;
  readonly timeZone?: string;
  readonly createdAt: string;
  /** Where the site is and how far from it counts as on site (issue 17): both or neither. */
  readonly location?: GeoPoint;
  readonly radiusMeters?: number;
}

export interface ClientDefaults {
  readonly timeZone: string;
  readonly currency: Money['currency'];
}
