import type { EventHandlers } from '../../shared/application/events/consumer';
import { closeQuoteRound } from '../../shared/application/orders/lifecycle';
import { enrichOrderAsset, recordOrderMaintenance } from '../../shared/application/orders/orders-workflow';
import { checkOrderSla } from '../../shared/application/orders/sla-watch';
import { lifecycleDeps, ordersWorkflowDeps, slaWatchDeps } from '../http/deps';
import { registerWorkflow } from './register';

/**
 * The orders workflow: the asset of a submitted order (assets system), the quote round closed at
 * its deadline, the SLA watch's scheduled checks, and the maintenance record of a closed order.
 */
registerWorkflow('orders-workflow', async (): Promise<EventHandlers> => {
  const [workflow, lifecycle, sla] = await Promise.all([ordersWorkflowDeps(), lifecycleDeps(), slaWatchDeps()]);
  const call = (e: { correlationId: string; traceparent?: string }) => ({
    correlationId: e.correlationId,
    ...(e.traceparent ? { traceparent: e.traceparent } : {}),
  });
  return {
    'order.submitted': async (e) => {
      await enrichOrderAsset(workflow, e.data.clientId, e.data.orderId);
    },
    'order.quote-deadline-reached': async (e) => {
      await closeQuoteRound(lifecycle, call(e), e.data.clientId, e.data.orderId, e.data.quoteDeadline);
    },
    'order.sla-check-due': async (e) => {
      await checkOrderSla(sla, call(e), e.data.clientId, e.data.orderId, e.data.checkAt);
    },
    'order.status-changed': async (e) => {
      if (e.data.to === 'CLOSED') await recordOrderMaintenance(workflow, e.data.clientId, e.data.orderId);
    },
  };
});
