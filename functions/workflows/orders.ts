import type { EventHandlers } from '../../shared/application/events/consumer';
import { closeQuoteRound } from '../../shared/application/orders/lifecycle';
import { enrichOrderAsset, recordOrderMaintenance } from '../../shared/application/orders/orders-workflow';
import { pushTicketStatus, sendContract, storeSignedContract, syncAsanaTask } from '../../shared/application/orders/partner-sync';
import { checkOrderSla } from '../../shared/application/orders/sla-watch';
import { lifecycleDeps, ordersWorkflowDeps, partnerSyncDeps, slaWatchDeps } from '../http/deps';
import { registerWorkflow } from './register';

/**
 * Runs independent partner steps of one event each to its end, then fails with the first error:
 * an Asana outage does not hold back the Qsystems update; the bus retries the event and the steps
 * that already succeeded find their work done (each is idempotent).
 */
async function allSteps(steps: readonly (() => Promise<unknown>)[]): Promise<void> {
  const results = await Promise.allSettled(steps.map((step) => step()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * The orders workflow: the asset of a submitted order (assets system), the quote round closed at
 * its deadline, the SLA watch's scheduled checks, the contract envelope (DocuSign) and the signed
 * PDF, the client's Asana task and Qsystems ticket, and the maintenance record of a closed order.
 */
registerWorkflow('orders-workflow', async (): Promise<EventHandlers> => {
  const [workflow, lifecycle, sla, partners] = await Promise.all([
    ordersWorkflowDeps(),
    lifecycleDeps(),
    slaWatchDeps(),
    partnerSyncDeps(),
  ]);
  const call = (e: { correlationId: string; traceparent?: string }) => ({
    correlationId: e.correlationId,
    ...(e.traceparent ? { traceparent: e.traceparent } : {}),
  });
  return {
    'order.submitted': async (e) => {
      // The creation is the order's first transition (version 1) for Qsystems and the Asana task.
      await allSteps([
        () => enrichOrderAsset(workflow, e.data.clientId, e.data.orderId),
        () => syncAsanaTask(partners, e.data.clientId, e.data.orderId, { create: true, version: 1 }),
        () => pushTicketStatus(partners, e.data.clientId, e.data.orderId, 1),
      ]);
    },
    'order.quote-deadline-reached': async (e) => {
      await closeQuoteRound(lifecycle, call(e), e.data.clientId, e.data.orderId, e.data.quoteDeadline);
    },
    'order.sla-check-due': async (e) => {
      await checkOrderSla(sla, call(e), e.data.clientId, e.data.orderId, e.data.checkAt);
    },
    'order.contract-requested': async (e) => {
      await sendContract(partners, e.data.clientId, e.data.orderId);
    },
    'order.status-changed': async (e) => {
      const { clientId, orderId, version } = e.data;
      // Each run delivers every transition the partner lacks, in order (the event's own included).
      await allSteps([
        () => syncAsanaTask(partners, clientId, orderId, { create: false, version }),
        () => pushTicketStatus(partners, clientId, orderId, version),
        () => (e.data.action === 'contract-signed' ? storeSignedContract(partners, clientId, orderId) : Promise.resolve()),
        () => (e.data.to === 'CLOSED' ? recordOrderMaintenance(workflow, clientId, orderId) : Promise.resolve()),
      ]);
    },
  };
});
