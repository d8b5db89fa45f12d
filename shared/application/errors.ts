/**
 * The failures a use case reports. The HTTP platform maps each to one problem type and status;
 * use cases never speak HTTP.
 */
export abstract class ApplicationError extends Error {
  abstract readonly kind:
    | 'not-found'
    | 'forbidden'
    | 'approval-limit'
    | 'conflict'
    | 'precondition-failed'
    | 'invalid'
    | 'invalid-configuration'
    | 'unavailable'
    | 'invoice-rules';
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The resource does not exist, or is outside the caller's scope (indistinguishable on purpose). */
export class NotFoundError extends ApplicationError {
  readonly kind = 'not-found';
}

/** The caller is known but its role may not do this. */
export class ForbiddenError extends ApplicationError {
  readonly kind = 'forbidden';
}

/** A client user's approval limit does not cover the amount: an operator can approve instead. */
export class ApprovalLimitError extends ApplicationError {
  readonly kind = 'approval-limit';
}

/** The request conflicts with the current state (duplicate, illegal transition). */
export class ConflictError extends ApplicationError {
  readonly kind = 'conflict';
}

/** `If-Match` named another version than the current one (or a concurrent writer won). */
export class PreconditionFailedError extends ApplicationError {
  readonly kind = 'precondition-failed';
}

/** Well-formed input that a business rule refuses (for example an unknown site). */
export class InvalidInputError extends ApplicationError {
  readonly kind = 'invalid';
  constructor(
    message: string,
    readonly fieldErrors: readonly { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/**
 * A configuration that is wrong in itself (overlapping approval tiers, …): a 400 with field errors,
 * like a body that fails its schema, although only the use case can tell (it needs the stored client).
 */
export class InvalidConfigurationError extends ApplicationError {
  readonly kind = 'invalid-configuration';
  constructor(
    message: string,
    readonly fieldErrors: readonly { field: string; message: string }[],
  ) {
    super(message);
  }
}

/** A dependency (database, storage) is unavailable right now: the caller may retry later. */
export class UnavailableError extends ApplicationError {
  readonly kind = 'unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}

/**
 * An invoice a hard rule refuses (issue 17): every failed rule, hard and soft, in `details.failedRules`
 * (rule, severity, message, details), and a field error for each one the body can point at.
 */
export class InvoiceRulesError extends ApplicationError {
  readonly kind = 'invoice-rules';
  constructor(
    message: string,
    details: Record<string, unknown>,
    readonly fieldErrors: readonly { field: string; message: string }[] = [],
  ) {
    super(message, details);
  }
}
