import { isStaff, type Principal } from '../../domain/access/principal';
import { checkUpload } from '../../domain/files/file-types';
import type { ServiceCategory } from '../../domain/orders/order';
import { addDays, colombiaDate, type DocumentFacts, type DocumentType } from '../../domain/providers/documents';
import { coversCity, rankEligible, type EligibilityCriteria } from '../../domain/providers/eligibility';
import { parseNit } from '../../domain/providers/nit';
import {
  actOnProvider,
  allowedActions,
  checkCompliance,
  confirmDocumentUpload,
  hasFile,
  registerProvider as registerDecision,
  requestDocumentUpload as requestDecision,
  reviewDocument as reviewDecision,
  ProviderRuleError,
  type Contacts,
  type Provider,
  type ProviderAction,
  type ProviderDecision,
  type ProviderDocument,
} from '../../domain/providers/provider';
import { applyOutcome, scorecardView, type OrderOutcome, type ScorecardView } from '../../domain/providers/scorecard';
import { makeId } from '../../domain/shared/ids';
import { requireRole } from '../access';
import { toEvents, type CallContext } from '../context';
import { createOnce, newUlid, replayed, type Created } from '../idempotency';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, PreconditionFailedError } from '../errors';
import { decidedAgainOnLostRace } from '../lost-race';
import { requireAcceptableFile, type FileStore } from '../files';
import type { Clock, IdGenerator, Invitation, Page, PageRequest, ProviderFilters, ProviderRepository, Versioned } from '../ports';

export const PROVIDERS_SOURCE = 'algesta/providers';
/** Upload URLs live 15 minutes, download URLs 10 (DESIGN 4.3). */
export const UPLOAD_URL_TTL_MS = 15 * 60_000;
export const DOWNLOAD_URL_TTL_MS = 10 * 60_000;

export interface ProviderDeps {
  readonly providers: ProviderRepository;
  readonly files: FileStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/** What a provider's decision and its conditional write read (the workflows and timers): no file store. */
export type ProviderUpdateDeps = Pick<ProviderDeps, 'providers' | 'clock' | 'ids'>;

/** The system's own calls (workflows, timers) carry the event's correlation id. */
export interface SystemCall {
  readonly correlationId: string;
  readonly traceparent?: string;
}

/** The domain's refusals in the application's terms: a state conflict is 409, bad input 422. */
function translateRule(err: unknown): never {
  if (err instanceof ProviderRuleError) {
    if (err.kind === 'invalid-document' || err.fieldErrors.length) throw new InvalidInputError(err.message, err.fieldErrors);
    if (err.details.documentId && err.message === 'no such document') throw new NotFoundError('document not found');
    throw new ConflictError(err.message, err.details);
  }
  throw err;
}

function decide(make: () => ProviderDecision): ProviderDecision {
  try {
    return make();
  } catch (err) {
    return translateRule(err);
  }
}

/** A provider user sees only its own provider; staff see all; anyone else sees none (404). */
function requireProviderScope(p: Principal, providerId: string): void {
  if (isStaff(p)) return;
  if (p.role === 'provider' && p.providerId === providerId) return;
  throw new NotFoundError('provider not found');
}

async function load(deps: Pick<ProviderDeps, 'providers'>, call: CallContext, providerId: string): Promise<Versioned<Provider>> {
  requireProviderScope(call.principal, providerId);
  const found = await deps.providers.get(providerId);
  if (!found) throw new NotFoundError('provider not found');
  return found;
}

async function save(
  deps: ProviderUpdateDeps,
  call: CallContext | SystemCall,
  current: Versioned<Provider>,
  decision: ProviderDecision,
  ifMatch?: string,
): Promise<Versioned<Provider>> {
  if (ifMatch && ifMatch !== current.etag) throw new PreconditionFailedError('the provider has changed; read it again');
  const events = toEvents(decision.events, PROVIDERS_SOURCE, call, deps);
  return deps.providers.save(decision.provider, current.etag, decision.history, events);
}

/**
 * A system update (workflow, timer): read, decide, write conditionally, and on a concurrent change
 * read again and decide again — the decision functions are pure, so retrying them is safe.
 */
async function updateWithRetry(
  deps: ProviderUpdateDeps,
  call: SystemCall,
  providerId: string,
  decideOn: (p: Provider) => ProviderDecision | undefined,
): Promise<Versioned<Provider> | undefined> {
  return decidedAgainOnLostRace(
    async () => {
      const current = await deps.providers.get(providerId);
      if (!current) return undefined;
      const decision = decideOn(current.value);
      if (!decision || decision.provider === current.value) return current;
      return save(deps, call, current, decision);
    },
    { attempts: 5 },
  );
}

const today = (deps: Pick<ProviderDeps, 'clock'>) => colombiaDate(deps.clock.now());

/** A provider as the API shows it: the scorecard as rates, and what an operator may do next. */
export function presentProvider(p: Provider) {
  return { ...p, scorecard: scorecardView(p.scorecard), allowedActions: allowedActions(p.status) };
}

// ---- registration and reads ---------------------------------------------------------------------

export interface RegisterProviderInput {
  readonly legalName: string;
  readonly nit: string;
  readonly contacts: Contacts;
  readonly categories: readonly ServiceCategory[];
  readonly cities: readonly string[];
}

/**
 * `POST /providers`: staff register any company; a provider user registers its own, whose id its
 * token already carries (the identity provider assigns it when the user is invited).
 */
export async function registerProvider(
  deps: ProviderDeps,
  call: CallContext,
  input: RegisterProviderInput,
): Promise<Created<Provider>> {
  const p = call.principal;
  if (!isStaff(p) && p.role !== 'provider') throw new ForbiddenError(`role ${p.role} may not register providers`);
  const nit = parseNit(input.nit);
  if (!nit.ok) throw new InvalidInputError('invalid NIT', [{ field: 'nit', message: nit.reason }]);
  const self = p.role === 'provider';
  // Staff: under an Idempotency-Key the id is the request's. Self-registration: the token's company.
  const id = self ? (p.providerId as string) : makeId('provider', newUlid(call, deps.ids));
  // What an earlier attempt of this request registered: by id for staff; for a self-registration
  // (whose id is not the request's), this caller's registration of this NIT since the key was first used.
  const since = call.idempotency?.since;
  const isEarlier = (v: Provider) =>
    since !== undefined && (!self || (v.createdBy === p.userId && v.nit === nit.nit && v.createdAt >= since));
  const earlier = async () => {
    const found = await deps.providers.get(id);
    return found && isEarlier(found.value) ? found : undefined;
  };
  if (self) {
    const existing = await deps.providers.get(id);
    if (existing && isEarlier(existing.value)) return replayed(existing);
    if (existing) throw new ConflictError('your company is already registered', { providerId: id });
  }
  const decision = registerDecision(
    {
      id,
      legalName: input.legalName,
      nit: nit.nit,
      contacts: input.contacts,
      categories: [...new Set(input.categories)],
      cities: [...new Set(input.cities.map((c) => c.trim()))],
    },
    p,
    deps.clock.now().toISOString(),
  );
  return createOnce(
    call,
    () => deps.providers.create(decision.provider, decision.history, toEvents(decision.events, PROVIDERS_SOURCE, call, deps)),
    earlier,
  );
}

export async function getProvider(
  deps: Pick<ProviderDeps, 'providers'>,
  call: CallContext,
  providerId: string,
): Promise<Versioned<Provider>> {
  return load(deps, call, providerId);
}

/** Staff list every provider (fan-out); a provider user gets its own, if it matches; clients may not. */
export async function listProviders(
  deps: Pick<ProviderDeps, 'providers'>,
  call: CallContext,
  filters: ProviderFilters,
  page: PageRequest,
): Promise<Page<Provider>> {
  const p = call.principal;
  if (isStaff(p)) return deps.providers.list(filters, page);
  if (p.role !== 'provider') throw new ForbiddenError(`role ${p.role} may not list providers`);
  const own = await deps.providers.get(p.providerId as string);
  const matches =
    own &&
    (!filters.status || own.value.status === filters.status) &&
    (!filters.category || own.value.categories.includes(filters.category));
  return { items: matches && (!filters.city || coversCity(own.value, filters.city)) ? [own.value] : [] };
}

export async function getScorecard(
  deps: Pick<ProviderDeps, 'providers'>,
  call: CallContext,
  providerId: string,
): Promise<ScorecardView> {
  const found = await load(deps, call, providerId);
  return scorecardView(found.value.scorecard);
}

export async function listInvitations(
  deps: Pick<ProviderDeps, 'providers' | 'clock'>,
  call: CallContext,
  providerId: string,
  page: PageRequest,
): Promise<Page<Invitation>> {
  requireProviderScope(call.principal, providerId);
  if (!(await deps.providers.get(providerId))) throw new NotFoundError('provider not found');
  return deps.providers.listOpenInvitations(providerId, deps.clock.now().toISOString(), page);
}

// ---- documents ----------------------------------------------------------------------------------

export interface DocumentUploadInput extends DocumentFacts {
  readonly type: DocumentType;
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
}

export interface UploadInstructions {
  readonly document: ProviderDocument;
  readonly upload: {
    readonly url: string;
    readonly method: 'PUT';
    readonly headers: Record<string, string>;
    readonly expiresAt: string;
  };
}

/** `POST /providers/{id}/documents`: the document is announced and a write-only URL for its blob handed out. */
export async function requestDocumentUpload(
  deps: ProviderDeps,
  call: CallContext,
  providerId: string,
  input: DocumentUploadInput,
): Promise<UploadInstructions & { provider: Versioned<Provider> }> {
  return decidedAgainOnLostRace(() => requestDocumentUploadOnce(deps, call, providerId, input));
}

async function requestDocumentUploadOnce(
  deps: ProviderDeps,
  call: CallContext,
  providerId: string,
  input: DocumentUploadInput,
): Promise<UploadInstructions & { provider: Versioned<Provider> }> {
  const current = await load(deps, call, providerId);
  requireAcceptableFile(input);
  const documentId = makeId('document', deps.ids.ulid());
  const now = deps.clock.now();
  const decision = decide(() =>
    requestDecision(
      current.value,
      { ...input, id: documentId, blobName: `providers/${providerId}/${documentId}` },
      call.principal,
      now.toISOString(),
      today(deps),
    ),
  );
  const saved = await save(deps, call, current, decision);
  const document = saved.value.documents.find((d) => d.id === documentId) as ProviderDocument;
  const expiresAt = new Date(now.getTime() + UPLOAD_URL_TTL_MS);
  const url = await deps.files.uploadUrl('provider-documents', document.blobName, expiresAt);
  return {
    provider: saved,
    document,
    upload: {
      url,
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': input.contentType },
      expiresAt: expiresAt.toISOString(),
    },
  };
}

/**
 * `POST /providers/{id}/documents/{documentId}/confirm`: the stored bytes are checked against what
 * was declared. A mismatch rejects the document and deletes the blob (and answers 422).
 */
export async function confirmUpload(
  deps: ProviderDeps,
  call: CallContext,
  providerId: string,
  documentId: string,
): Promise<Versioned<Provider>> {
  return decidedAgainOnLostRace(() => confirmUploadOnce(deps, call, providerId, documentId));
}

async function confirmUploadOnce(
  deps: ProviderDeps,
  call: CallContext,
  providerId: string,
  documentId: string,
): Promise<Versioned<Provider>> {
  const current = await load(deps, call, providerId);
  const doc = current.value.documents.find((d) => d.id === documentId);
  if (!doc) throw new NotFoundError('document not found');
  if (doc.status !== 'AWAITING_UPLOAD')
    throw new ConflictError(`the document is ${doc.status}, not awaiting its upload`, { documentStatus: doc.status });
  const stored = await deps.files.inspect('provider-documents', doc.blobName);
  if (!stored) throw new ConflictError('no file has been uploaded for this document yet', { documentStatus: doc.status });
  const check = checkUpload({ contentType: doc.contentType, size: doc.size }, stored);
  const decision = decide(() =>
    confirmDocumentUpload(current.value, documentId, check.ok ? { ok: true } : check, deps.clock.now().toISOString()),
  );
  const saved = await save(deps, call, current, decision);
  if (!check.ok) {
    await deps.files.delete('provider-documents', doc.blobName);
    throw new InvalidInputError(`the upload was rejected: ${check.reason}`, [{ field: 'file', message: check.reason }]);
  }
  return saved;
}

export interface DocumentWithUrl extends ProviderDocument {
  /** Read-only, 10 minutes; absent when no file is stored (awaiting upload, or rejected on upload). */
  readonly downloadUrl?: string;
  readonly downloadUrlExpiresAt?: string;
}

export async function listDocuments(deps: ProviderDeps, call: CallContext, providerId: string): Promise<DocumentWithUrl[]> {
  const current = await load(deps, call, providerId);
  const expiresAt = new Date(deps.clock.now().getTime() + DOWNLOAD_URL_TTL_MS);
  return Promise.all(
    current.value.documents.map(async (d) => {
      if (!hasFile(d)) return d;
      return {
        ...d,
        downloadUrl: await deps.files.downloadUrl('provider-documents', d.blobName, expiresAt),
        downloadUrlExpiresAt: expiresAt.toISOString(),
      };
    }),
  );
}

export async function reviewDocument(
  deps: ProviderDeps,
  call: CallContext,
  providerId: string,
  documentId: string,
  review: { decision: 'approve' | 'reject'; reason?: string },
  ifMatch?: string,
): Promise<Versioned<Provider>> {
  requireProviderScope(call.principal, providerId);
  requireRole(call.principal, ['admin', 'operator'], 'review documents');
  return decidedAgainOnLostRace(
    async () => {
      const current = await load(deps, call, providerId);
      const decision = decide(() =>
        reviewDecision(current.value, documentId, review, call.principal, deps.clock.now().toISOString(), today(deps)),
      );
      return save(deps, call, current, decision, ifMatch);
    },
    { ifMatch },
  );
}

// ---- operator actions ---------------------------------------------------------------------------

export async function performProviderAction(
  deps: ProviderDeps,
  call: CallContext,
  providerId: string,
  action: ProviderAction,
  reason?: string,
  ifMatch?: string,
): Promise<Versioned<Provider>> {
  requireProviderScope(call.principal, providerId);
  requireRole(call.principal, ['admin', 'operator'], `${action} providers`);
  return decidedAgainOnLostRace(
    async () => {
      const current = await load(deps, call, providerId);
      const decision = decide(() =>
        actOnProvider(current.value, action, call.principal, deps.clock.now().toISOString(), today(deps), reason),
      );
      return save(deps, call, current, decision, ifMatch);
    },
    { ifMatch },
  );
}

// ---- workflows ----------------------------------------------------------------------------------

/** The compliance watch for one provider (a scheduled message or the daily sweep woke it). */
export async function checkProviderCompliance(deps: ProviderUpdateDeps, call: SystemCall, providerId: string): Promise<void> {
  await updateWithRetry(deps, call, providerId, (p) => checkCompliance(p, deps.clock.now().toISOString(), today(deps)));
}

/** The daily safety net: every provider with a document expiring within the reminder horizon. */
export async function sweepCompliance(deps: ProviderUpdateDeps, call: SystemCall): Promise<number> {
  const ids = await deps.providers.findWithDocumentsExpiringBy(addDays(today(deps), 30));
  for (const id of ids) await checkProviderCompliance(deps, call, id);
  return ids.length;
}

/** A scorecard update from an order event, applied at most once per event id. */
export async function recordOrderOutcome(
  deps: ProviderUpdateDeps,
  call: SystemCall,
  providerId: string,
  eventId: string,
  outcome: OrderOutcome,
): Promise<void> {
  const updated = await updateWithRetry(deps, call, providerId, (p) => {
    const scorecard = applyOutcome(p.scorecard, eventId, outcome);
    return scorecard === p.scorecard ? undefined : { provider: { ...p, scorecard }, history: [], events: [] };
  });
  if (!updated) throw new NotFoundError(`provider ${providerId} not found`);
}

/** Eligibility for an order (DESIGN 2.2): the application query the orders workflow invites with. */
export async function findEligibleProviders(
  deps: Pick<ProviderDeps, 'providers'>,
  criteria: EligibilityCriteria,
): Promise<Provider[]> {
  return rankEligible(await deps.providers.findCandidates(criteria.category, criteria.city), criteria);
}

/** The providers workflow records each invitation of `order.quotes-requested` in the provider's partition. */
export async function recordInvitations(
  deps: Pick<ProviderDeps, 'providers' | 'clock'>,
  data: {
    orderId: string;
    clientId: string;
    siteId: string;
    category: ServiceCategory;
    city: string;
    title: string;
    providerIds: readonly string[];
    quoteDeadline: string;
  },
): Promise<void> {
  const invitedAt = deps.clock.now().toISOString();
  for (const providerId of data.providerIds) {
    const { providerIds: _all, ...order } = data;
    await deps.providers.putInvitation({ ...order, providerId, invitedAt, status: 'OPEN' });
  }
}
