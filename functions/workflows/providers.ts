import type { EventHandlers } from '../../shared/application/events/consumer';
import { checkProviderCompliance, recordInvitations, recordOrderOutcome } from '../../shared/application/providers/providers';
import { providerDeps } from '../http/deps';
import { registerWorkflow } from './register';

/**
 * The providers workflow: the compliance watch's scheduled checks, invitations from
 * `order.quotes-requested`, and the scorecard kept from order events.
 */
registerWorkflow('providers-workflow', async (): Promise<EventHandlers> => {
  const d = await providerDeps();
  const call = (e: { correlationId: string; traceparent?: string }) => ({
    correlationId: e.correlationId,
    ...(e.traceparent ? { traceparent: e.traceparent } : {}),
  });
  return {
    'provider.compliance-check-due': (e) => checkProviderCompliance(d, call(e), e.data.providerId),
    'order.quotes-requested': (e) => recordInvitations(d, e.data),
    'order.quote-submitted': (e) => recordOrderOutcome(d, call(e), e.data.providerId, e.id, { kind: 'quote-submitted' }),
    'order.quote-selected': (e) => recordOrderOutcome(d, call(e), e.data.providerId, e.id, { kind: 'quote-won' }),
    'order.work-completed': (e) =>
      recordOrderOutcome(d, call(e), e.data.providerId, e.id, {
        kind: 'work-completed',
        onSiteOnTime: e.data.onSiteOnTime,
        resolvedOnTime: e.data.resolvedOnTime,
      }),
    'order.rated': (e) => recordOrderOutcome(d, call(e), e.data.providerId, e.id, { kind: 'rated', score: e.data.score }),
    'order.rework-requested': (e) => recordOrderOutcome(d, call(e), e.data.providerId, e.id, { kind: 'rework-requested' }),
  };
});
