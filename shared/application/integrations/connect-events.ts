import { applyContractEvent } from '../orders/partner-sync';
import type { LifecycleDeps, SystemCall } from '../orders/lifecycle';
import { receiveOnce, WEBHOOK_WINDOWS, type WebhookDeps, type WebhookOutcome } from '../webhook-events';
import type { ContractEvent } from './ports';

/**
 * A verified DocuSign Connect message: refused when its `generatedDateTime` (inside the signed
 * body: the HMAC covers no header time) is older than Connect's retries reach (15 days,
 * `WEBHOOK_WINDOWS.docusign`); `duplicate` when the same event already moved the order (a receipt
 * kept 30 days under its exact id); else `applyContractEvent`, and a receipt when it changed the
 * order. An ignored event leaves no receipt: the order's state keeps deciding it.
 */
export async function receiveConnectEvent(
  deps: LifecycleDeps & WebhookDeps,
  call: SystemCall,
  event: ContractEvent,
): Promise<WebhookOutcome<'signed' | 'declined' | 'ignored'>> {
  return receiveOnce(deps, WEBHOOK_WINDOWS.docusign, { id: event.eventId, at: event.generatedDateTime }, async () => {
    const result = await applyContractEvent(deps, call, event);
    return { result, acted: result !== 'ignored' };
  });
}
