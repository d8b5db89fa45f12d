import type { Client, Site } from '../../domain/clients/client';
import { DEFAULT_TIME_ZONE } from '../../domain/shared/time';
import { DEFAULT_CURRENCY } from '../../domain/shared/money';
import { makeId } from '../../domain/shared/ids';
import { requireClientScope, requireRole } from '../access';
import type { CallContext } from '../context';
import { createOnce, newUlid, type Created } from '../idempotency';
import { InvalidInputError, NotFoundError } from '../errors';
import { SlaPolicyError, type SlaPolicyOverride } from '../../domain/orders/sla';
import { slaContextOf } from '../../domain/orders/sla-lifecycle';
import type { ClientRepository, Clock, IdGenerator, Page, PageRequest, Versioned } from '../ports';

export interface ClientDeps {
  readonly clients: ClientRepository;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

export interface CreateClientInput {
  readonly name: string;
  readonly taxId?: string;
  readonly timeZone?: string;
  readonly currency?: string;
  readonly asanaProjectId?: string;
  readonly slaPolicy?: SlaPolicyOverride;
  readonly businessHours?: { readonly start: string; readonly end: string };
}

/** One create; under an `Idempotency-Key` the id is the request's, so a retry answers the client it made. */
export async function createClient(deps: ClientDeps, call: CallContext, input: CreateClientInput): Promise<Created<Client>> {
  requireRole(call.principal, ['admin', 'operator'], 'create clients');
  const client: Client = {
    id: makeId('client', newUlid(call, deps.ids)),
    name: input.name,
    ...(input.taxId ? { taxId: input.taxId } : {}),
    ...(input.asanaProjectId ? { asanaProjectId: input.asanaProjectId } : {}),
    ...(input.slaPolicy ? { slaPolicy: input.slaPolicy } : {}),
    ...(input.businessHours ? { businessHours: input.businessHours } : {}),
    timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
    currency: input.currency ?? DEFAULT_CURRENCY,
    createdAt: deps.clock.now().toISOString(),
    createdBy: call.principal.userId,
  };
  checkSlaTerms(client);
  return createOnce(
    call,
    () => deps.clients.create(client),
    () => deps.clients.get(client.id),
  );
}

/** A client's SLA policy and business hours must make a valid SLA context (422 otherwise). */
function checkSlaTerms(client: Client): void {
  try {
    slaContextOf(client);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const field = err instanceof SlaPolicyError ? `slaPolicy.${err.field}` : 'businessHours';
    throw new InvalidInputError('the SLA terms are not valid', [{ field, message: err.message }]);
  }
}

export async function getClient(
  deps: Pick<ClientDeps, 'clients'>,
  call: CallContext,
  clientId: string,
): Promise<Versioned<Client>> {
  requireClientScope(call.principal, clientId);
  const found = await deps.clients.get(clientId);
  if (!found) throw new NotFoundError('client not found');
  return found;
}

export interface CreateSiteInput {
  readonly name: string;
  readonly address: string;
  readonly city: string;
  readonly timeZone?: string;
}

export async function createSite(
  deps: ClientDeps,
  call: CallContext,
  clientId: string,
  input: CreateSiteInput,
): Promise<Created<Site>> {
  requireClientScope(call.principal, clientId);
  requireRole(call.principal, ['admin', 'operator'], 'create sites');
  // The client must exist: a site never hangs off nothing.
  if (!(await deps.clients.get(clientId))) throw new NotFoundError('client not found');
  const site: Site = {
    id: makeId('site', newUlid(call, deps.ids)),
    clientId,
    name: input.name,
    address: input.address,
    city: input.city,
    ...(input.timeZone ? { timeZone: input.timeZone } : {}),
    createdAt: deps.clock.now().toISOString(),
  };
  return createOnce(
    call,
    () => deps.clients.addSite(site),
    () => deps.clients.getSite(clientId, site.id),
  );
}

export async function listSites(
  deps: Pick<ClientDeps, 'clients'>,
  call: CallContext,
  clientId: string,
  page: PageRequest,
): Promise<Page<Site>> {
  requireClientScope(call.principal, clientId);
  const result = await deps.clients.listSites(clientId, page);
  // Only an empty first page needs to tell "no sites yet" from "no such client".
  if (result.items.length === 0 && !page.continuationToken && !(await deps.clients.get(clientId))) {
    throw new NotFoundError('client not found');
  }
  return result;
}
