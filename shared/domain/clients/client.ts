import type { Money } from '../shared/money';

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
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface Site {
  readonly id: string;
  readonly clientId: string;
  readonly name: string;
  readonly address: string;
  readonly city: string;
  readonly timeZone?: string;
  readonly createdAt: string;
}

export const DEFAULT_TIME_ZONE = 'America/Bogota';

export interface ClientDefaults {
  readonly timeZone: string;
  readonly currency: Money['currency'];
}
