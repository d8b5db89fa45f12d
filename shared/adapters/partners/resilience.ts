import {
  BrokenCircuitError,
  TaskCancelledError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  circuitBreaker,
  handleType,
  handleWhen,
  retry,
  timeout,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from 'cockatiel';
import { PartnerRejectedError, PartnerUnavailableError } from '../../application/integrations/errors';
import { instruments } from '../../platform/telemetry';
import type { AppLogger } from '../../application/ports';

/**
 * One resilience policy per partner and process (cockatiel): every attempt runs under a timeout and
 * through the partner's circuit breaker; transient failures (`PartnerUnavailableError`: 408, 429,
 * 5xx, timeouts, network errors) are retried with jittered exponential backoff, or after exactly the
 * partner's `Retry-After` when it sent one. Permanent failures (`PartnerRejectedError`) pass straight
 * through: they neither retry nor count against the circuit, since the partner is up.
 *
 * What the policy cannot absorb leaves as `PartnerUnavailableError`; the workflow lets it throw, the
 * bus abandons the message and delivers it again (dead-letter after 10 deliveries). The defaults keep
 * the worst case of one call (attempts × timeout + waits) under the 60 s message lock.
 */
export interface ResilienceOptions {
  /** Per attempt. An attempt may be one request or a short sequence (a search, then a create). */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly retries: number;
  readonly backoff: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  /**
   * The longest `Retry-After` waited in-process. A longer one is not waited out here: the call fails
   * at once (the message goes back to the bus) and further calls fail fast until that time.
   */
  readonly maxRetryAfterMs: number;
  readonly breaker: { readonly consecutiveFailures: number; readonly halfOpenAfterMs: number };
}

export const DEFAULT_RESILIENCE: ResilienceOptions = {
  timeoutMs: 8_000,
  retries: 3,
  backoff: { initialDelayMs: 200, maxDelayMs: 3_000 },
  maxRetryAfterMs: 10_000,
  breaker: { consecutiveFailures: 5, halfOpenAfterMs: 30_000 },
};

export type CircuitStatus = 'closed' | 'open' | 'half-open' | 'isolated';

export interface PartnerPolicy {
  readonly partner: string;
  /**
   * Runs one logical operation. `attempt` is called once per try with an AbortSignal that fires at
   * the timeout; it must throw `PartnerUnavailableError` / `PartnerRejectedError` (see
   * partner-fetch.ts) for the policy to tell transient from permanent.
   */
  execute<T>(operation: string, attempt: (signal: AbortSignal) => Promise<T>): Promise<T>;
  circuit(): CircuitStatus;
}

export type PolicyLogger = Pick<AppLogger, 'warn'>;

export type ResilienceOverrides = Partial<Omit<ResilienceOptions, 'backoff' | 'breaker'>> & {
  readonly backoff?: Partial<ResilienceOptions['backoff']>;
  readonly breaker?: Partial<ResilienceOptions['breaker']>;
};

export function resilienceOptions(overrides: ResilienceOverrides = {}): ResilienceOptions {
  return {
    ...DEFAULT_RESILIENCE,
    ...overrides,
    backoff: { ...DEFAULT_RESILIENCE.backoff, ...overrides.backoff },
    breaker: { ...DEFAULT_RESILIENCE.breaker, ...overrides.breaker },
  };
}

const CIRCUIT_STATUS: Record<CircuitState, CircuitStatus> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

export function createPartnerPolicy(partner: string, overrides: ResilienceOverrides = {}, logger?: PolicyLogger): PartnerPolicy {
  const opts = resilienceOptions(overrides);
  const breaker: CircuitBreakerPolicy = circuitBreaker(handleType(PartnerUnavailableError), {
    halfOpenAfter: opts.breaker.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(opts.breaker.consecutiveFailures),
  });
  let openedAt = 0;
  breaker.onBreak(() => {
    openedAt = Date.now();
    logger?.warn('partner circuit opened', { partner, openForMs: opts.breaker.halfOpenAfterMs });
  });
  breaker.onReset(() => logger?.warn('partner circuit closed', { partner }));
  // Reported at each metric export as algesta.partner.circuit_open (half-open counts as open: the
  // partner has not answered yet), for the "breaker open for more than five minutes" alert.
  instruments.watchCircuit(partner, () => breaker.state !== CircuitState.Closed);

  const retryPolicy = retry(
    // An answer with a longer Retry-After than we wait in-process is not retried here (see above).
    handleWhen((e) => e instanceof PartnerUnavailableError && !((e.retryAfterMs ?? 0) > opts.maxRetryAfterMs)),
    { maxAttempts: opts.retries, backoff: retryAfterAware(opts) },
  );
  const attemptTimeout = timeout(opts.timeoutMs, TimeoutStrategy.Aggressive);

  // The earliest time the partner wants to hear from us again (its last Retry-After).
  let notBefore = 0;

  return {
    partner,
    circuit: () => CIRCUIT_STATUS[breaker.state],
    async execute<T>(operation: string, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
      const wait = notBefore - Date.now();
      if (wait > 0) throw new PartnerUnavailableError(partner, operation, 'rate-limited', { retryAfterMs: wait });
      try {
        return await retryPolicy.execute(({ attempt: n }) =>
          breaker.execute(async () => {
            try {
              return await attemptTimeout.execute((_ctx, signal) => attempt(signal));
            } catch (err) {
              // instanceof, not cockatiel's isTaskCancelledError: in 3.2.1 that guard tests the wrong marker.
              const failure =
                err instanceof TaskCancelledError ? new PartnerUnavailableError(partner, operation, 'timeout') : err;
              if (failure instanceof PartnerUnavailableError) {
                if (failure.retryAfterMs !== undefined) notBefore = Math.max(notBefore, Date.now() + failure.retryAfterMs);
                logger?.warn('partner call failed', {
                  partner,
                  operation,
                  attempt: n + 1,
                  reason: failure.reason,
                  ...(failure.status !== undefined ? { status: failure.status } : {}),
                  ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
                });
              }
              throw failure;
            }
          }),
        );
      } catch (err) {
        const failure =
          err instanceof BrokenCircuitError
            ? new PartnerUnavailableError(partner, operation, 'circuit-open', {
                retryAfterMs: Math.max(0, openedAt + opts.breaker.halfOpenAfterMs - Date.now()),
              })
            : err;
        // One count per call that failed once the policy gave up (not per attempt): what on-call sees.
        if (failure instanceof PartnerUnavailableError) instruments.partnerFailed({ partner, kind: 'unavailable' });
        else if (failure instanceof PartnerRejectedError) instruments.partnerFailed({ partner, kind: 'rejected' });
        throw failure;
      }
    },
  };
}

/**
 * Jittered exponential backoff (cockatiel's decorrelated jitter), except after an answer that named
 * its own `Retry-After`: then exactly that.
 */
function retryAfterAware(opts: ResilienceOptions): IBackoffFactory<IRetryBackoffContext<unknown>> {
  const exponential = new ExponentialBackoff({ initialDelay: opts.backoff.initialDelayMs, maxDelay: opts.backoff.maxDelayMs });
  const wrap = (inner: IBackoff<unknown>, ctx: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> => {
    const error = 'error' in ctx.result ? ctx.result.error : undefined;
    const asked = error instanceof PartnerUnavailableError ? error.retryAfterMs : undefined;
    return { duration: asked ?? inner.duration, next: (next) => wrap(inner.next(next), next) };
  };
  return { next: (ctx) => wrap(exponential.next(), ctx) };
}

/**
 * `Retry-After` (RFC 9110 10.2.3): delay-seconds or an HTTP date. Milliseconds from `now`, or
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
