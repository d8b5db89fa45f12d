import { refreshProviderOrderViews, type ProviderViewDeps } from '../orders/provider-views';
import { checkProviderCompliance, recordInvitations, recordOrderOutcome, type ProviderUpdateDeps } from '../providers/providers';
import { callOf, defineWorkflow, type Lazy } from './workflow';

export interface ProvidersWorkflowPorts {
  readonly providers: Lazy<ProviderUpdateDeps>;
  readonly views: Lazy<ProviderViewDeps>;
}

const refreshViews = async (p: ProvidersWorkflowPorts, e: { data: { clientId: string; orderId: string } }) => {
  await refreshProviderOrderViews(await p.views(), e.data.clientId, e.data.orderId);
};

/**
 * The providers workflow: the compliance watch's scheduled checks, invitations from
 * `order.quotes-requested`, the scorecard kept from order events, and the providers' order listing,
 * which follows every change of an order they are invited to or assigned.
 */
export const PROVIDERS_WORKFLOW = defineWorkflow<ProvidersWorkflowPorts>('providers-workflow', {
  'provider.compliance-check-due': async (p, e) => checkProviderCompliance(await p.providers(), callOf(e), e.data.providerId),
  'order.quotes-requested': async (p, e) => {
    await recordInvitations(await p.providers(), e.data);
    await refreshViews(p, e);
  },
  'order.quote-submitted': async (p, e) =>
    recordOrderOutcome(await p.providers(), callOf(e), e.data.providerId, e.id, { kind: 'quote-submitted' }),
  'order.quote-selected': async (p, e) =>
    recordOrderOutcome(await p.providers(), callOf(e), e.data.providerId, e.id, { kind: 'quote-won' }),
  'order.work-completed': async (p, e) =>
    recordOrderOutcome(await p.providers(), callOf(e), e.data.providerId, e.id, {
      kind: 'work-completed',
      onSiteOnTime: e.data.onSiteOnTime,
      resolvedOnTime: e.data.resolvedOnTime,
    }),
  'order.rated': async (p, e) =>
    recordOrderOutcome(await p.providers(), callOf(e), e.data.providerId, e.id, { kind: 'rated', score: e.data.score }),
  'order.rework-requested': async (p, e) =>
    recordOrderOutcome(await p.providers(), callOf(e), e.data.providerId, e.id, { kind: 'rework-requested' }),
  'order.status-changed': refreshViews,
  'order.sla-at-risk': refreshViews,
  'order.sla-breached': refreshViews,
});
