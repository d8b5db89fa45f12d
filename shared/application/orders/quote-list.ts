import type { CallContext } from '../context';
import { listQuotes, type LifecycleDeps } from './lifecycle';
import { withQuoteGuidance, type QuoteList } from './price-guidance';

/**
 * `GET /orders/{id}/quotes`: the quotes the caller may see (lifecycle.ts, `listQuotes`: a provider
 * its own, staff all, the client all once the round is closed) with the price guidance for staff and
 * the client (price-guidance.ts, `withQuoteGuidance`).
 */
export async function listGuidedQuotes(deps: LifecycleDeps, call: CallContext, orderId: string): Promise<QuoteList> {
  return withQuoteGuidance(deps, call, orderId, await listQuotes(deps, call, orderId));
}
