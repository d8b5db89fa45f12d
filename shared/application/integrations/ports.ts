/**
 * The partner systems the workflows talk to (DESIGN 3), as ports. Adapters live in
 * `shared/adapters/partners/`; every call goes through a per-partner resilience policy and fails with
 * `PartnerUnavailableError` (transient: the bus redelivers the message) or `PartnerRejectedError`
 * (permanent) from `./errors`. Partner calls happen only in workflows, never in an API request.
 * The assets system's port is `../assets.ts`.
 */

/** Secrets by name (Key Vault in Azure, local settings on the embedded stack). Values never reach logs. */
export interface SecretStore {
  /** The current value; throws when the secret does not exist or cannot be read. */
  get(name: string): Promise<string>;
}

export interface Signer {
  readonly name: string;
  readonly email: string;
}

export interface ContractEnvelopeRequest {
  readonly orderId: string;
  readonly clientId: string;
  readonly title: string;
  /** Minor units with an ISO 4217 currency, as everywhere in the domain. */
  readonly amount: { readonly amount: number; readonly currency: string };
  readonly providerSigner: Signer;
  readonly clientSigner: Signer;
}

/** DocuSign eSignature. */
export interface ContractSigning {
  /**
   * Sends the order's contract for signature. Idempotent per order: when an envelope for this order
   * is already out (sent, delivered or completed), that one is returned and nothing is created.
   * A declined or voided envelope does not count, so a new contract round gets a new envelope.
   */
  createEnvelope(input: ContractEnvelopeRequest): Promise<{ readonly envelopeId: string; readonly created: boolean }>;
  /** The signed documents and the certificate, combined into one PDF. */
  getCombinedDocument(envelopeId: string): Promise<Uint8Array>;
}

export type ContractEventKind = 'envelope-completed' | 'envelope-declined' | 'envelope-voided' | 'other';

/** A verified DocuSign Connect message, as the webhook hands it to the orders application. */
export interface ContractEvent {
  /**
   * Deduplication key. A terminal event (completed, declined, voided) happens once per envelope, so
   * its id is `docusign:<envelopeId>:<event>` whatever Connect's retries change; other events add
   * their `generatedDateTime`.
   */
  readonly eventId: string;
  readonly event: ContractEventKind;
  /** Connect's own event name (`envelope-sent`, `recipient-completed`, ...). */
  readonly sourceEvent: string;
  readonly envelopeId: string;
  /** From the envelope custom field `orderId`; absent when Connect did not include the summary. */
  readonly orderId?: string;
  readonly generatedDateTime: string;
}

export interface TaskRequest {
  readonly orderId: string;
  readonly projectGid: string;
  readonly name: string;
  readonly notes: string;
  /** The order's status: the task of a finished order (CLOSED, CANCELLED, REJECTED) is created completed. */
  readonly status: string;
}

export interface TaskPatch {
  readonly name?: string;
  readonly notes?: string;
  readonly completed?: boolean;
}

/** A comment on a task; `marker` (one line, unique per comment) lets the comment be found again. */
export interface TaskComment {
  readonly text: string;
  readonly marker: string;
}

/** Asana: one task per order in the client's project. */
export interface TaskTracker {
  /** Finds the order's task in the project or creates it; never creates a second one for an order. */
  ensureTask(input: TaskRequest): Promise<{ readonly gid: string; readonly created: boolean }>;
  updateTask(gid: string, patch: TaskPatch): Promise<void>;
  /**
   * Adds a comment (an Asana story) ending with its marker line. Asana has no idempotency: the
   * adapter looks for the marker before trying again after a failed attempt, and callers ask
   * `hasComment` when an earlier run may have added it.
   */
  addComment(gid: string, comment: TaskComment): Promise<void>;
  /** Whether a comment carrying `marker` is on the task. */
  hasComment(gid: string, marker: string): Promise<boolean>;
}

export interface TicketStatusUpdate {
  readonly ticketRef: string;
  readonly status: string;
  /** The status it changed from (null for the order's creation). */
  readonly from?: string | null;
  /**
   * The order's `version` after the change: the update's identity. The ticket system refuses
   * anything not newer than what it has, so a repeat is refused and updates must come in order.
   */
  readonly sequence: number;
  /** When the status changed (UTC ISO-8601). */
  readonly at: string;
}

/** Qsystems, the client's ticket system. */
export interface TicketSystem {
  /**
   * Pushes a status. `applied: false` when the ticket already holds this or a newer sequence (a
   * redelivered or out-of-order update) — that is success, not an error.
   */
  pushStatus(input: TicketStatusUpdate): Promise<{ readonly applied: boolean }>;
}
