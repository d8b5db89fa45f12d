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
import { fieldPolicyErrors, siteFenceErrors, type FieldPolicy, type PolicyFieldError } from '../../domain/orders/field-policy';
import type { GeoPoint } from '../../domain/orders/geofence';
import { decidedAgainOnLostRace } from '../lost-race';

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
  /** Both or neither (the HTTP schema enforces it). */
  readonly location?: GeoPoint;
  readonly radiusMeters?: number;
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
  const fence =
    input.location && input.radiusMeters !== undefined
      ? { location: input.location, radiusMeters: input.radiusMeters }
      : undefined;
  if (fence) refuseBadConfiguration('the site’s location is not valid', siteFenceErrors(fence));
  const site: Site = {
    id: makeId('site', newUlid(call, deps.ids)),
    clientId,
    name: input.name,
    address: input.address,
    city: input.city,
    ...(input.timeZone ? { timeZone: input.timeZone } : {}),
    ...(fence ?? {}),
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

// ---- issue 17: site coordinates and the client's field and invoice policy ----------------------

/** The domain's validators, for the HTTP schemas (their errors are the same 400 as a shape error). */
export { fieldPolicyErrors, siteFenceErrors, type PolicyFieldError };

/** Configuration the domain refuses: every field error at once, nothing written (the API has answered 400 before). */
function refuseBadConfiguration(message: string, errors: readonly PolicyFieldError[]): void {
  if (errors.length) throw new InvalidInputError(message, errors);
}

/** `PUT /clients/{clientId}/sites/{siteId}/location` (admin, operator): where the site is and its radius. */
export async function setSiteLocation(
  deps: Pick<ClientDeps, 'clients'>,
  call: CallContext,
  clientId: string,
  siteId: string,
  fence: { readonly location: GeoPoint; readonly radiusMeters: number },
): Promise<Versioned<Site>> {
  requireClientScope(call.principal, clientId);
  requireRole(call.principal, ['admin', 'operator'], 'locate sites');
  refuseBadConfiguration('the site’s location is not valid', siteFenceErrors(fence));
  return decidedAgainOnLostRace(async () => {
    const site = await deps.clients.getSite(clientId, siteId);
    if (!site) throw new NotFoundError('site not found');
    return deps.clients.replaceSite({ ...site.value, location: fence.location, radiusMeters: fence.radiusMeters }, site.etag);
  });
}

/** `PUT /clients/{clientId}/field-policy` (admin, operator): geofence, invoice rules, tolerances, rate card. */
export async function setFieldPolicy(
  deps: Pick<ClientDeps, 'clients'>,
  call: CallContext,
  clientId: string,
  policy: FieldPolicy,
): Promise<Versioned<Client>> {
  requireClientScope(call.principal, clientId);
  requireRole(call.principal, ['admin', 'operator'], 'configure clients');
  refuseBadConfiguration('the field policy is not valid', fieldPolicyErrors(policy));
  return decidedAgainOnLostRace(async () => {
    const client = await deps.clients.get(clientId);
    if (!client) throw new NotFoundError('client not found');
    return deps.clients.replace({ ...client.value, fieldPolicy: policy }, client.etag);
  });
}
