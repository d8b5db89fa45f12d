import { closeQuoteRound, escalateApproval, type LifecycleDeps } from '../orders/lifecycle';
import { enrichOrderAsset, recordOrderMaintenance, type OrdersWorkflowDeps } from '../orders/orders-workflow';
import { pushTicketStatus, sendContract, storeSignedContract, syncAsanaTask, type PartnerSyncDeps } from '../orders/partner-sync';
import { checkOrderSla, type SlaWatchDeps } from '../orders/sla-watch';
import { recordClosedOrderPrice, type PriceRecordDeps } from '../orders/price-guidance';
import { callOf, defineWorkflow, type Lazy } from './workflow';

export interface OrdersWorkflowPorts {
  readonly assets: Lazy<OrdersWorkflowDeps>;
  readonly lifecycle: Lazy<LifecycleDeps>;
  readonly sla: Lazy<SlaWatchDeps>;
  readonly partners: Lazy<PartnerSyncDeps>;
  readonly prices: Lazy<PriceRecordDeps>;
}

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
 * PDF, the client's Asana task and Qsystems ticket, the maintenance record of a closed order and its
 * price sample (the price guidance's read model).
 */
export const ORDERS_WORKFLOW = defineWorkflow<OrdersWorkflowPorts>('orders-workflow', {
  'order.submitted': async (p, e) => {
    const [assets, partners] = await Promise.all([p.assets(), p.partners()]);
    // The creation is the order's first transition (version 1) for Qsystems and the Asana task.
    await allSteps([
      () => enrichOrderAsset(assets, e.data.clientId, e.data.orderId),
      () => syncAsanaTask(partners, e.data.clientId, e.data.orderId, { create: true, version: 1 }),
      () => pushTicketStatus(partners, e.data.clientId, e.data.orderId, 1),
    ]);
  },
  'order.quote-deadline-reached': async (p, e) => {
    await closeQuoteRound(await p.lifecycle(), callOf(e), e.data.clientId, e.data.orderId, e.data.quoteDeadline);
  },
  'order.approval-escalation-due': async (p, e) => {
    const { clientId, orderId, tierId, dueAt } = e.data;
    await escalateApproval(await p.lifecycle(), callOf(e), clientId, orderId, tierId, dueAt);
  },
  'order.sla-check-due': async (p, e) => {
    await checkOrderSla(await p.sla(), callOf(e), e.data.clientId, e.data.orderId, e.data.checkAt);
  },
  'order.status-changed': async (p, e) => {
    const [assets, partners] = await Promise.all([p.assets(), p.partners()]);
    const { clientId, orderId, version } = e.data;
    // Each run delivers every transition the partner lacks, in order (the event's own included).
    await allSteps([
      () => syncAsanaTask(partners, clientId, orderId, { create: false, version }),
      () => pushTicketStatus(partners, clientId, orderId, version),
      () => (e.data.action === 'contract-signed' ? storeSignedContract(partners, clientId, orderId) : Promise.resolve()),
      () => (e.data.to === 'CLOSED' ? recordOrderMaintenance(assets, clientId, orderId) : Promise.resolve()),
      // The price guidance's read model: the closed order's invoice becomes a sample, once.
      async () => (e.data.to === 'CLOSED' ? recordClosedOrderPrice(await p.prices(), clientId, orderId) : undefined),
    ]);
  },
  'order.contract-requested': async (p, e) => {
    await sendContract(await p.partners(), e.data.clientId, e.data.orderId);
  },
});
