import type { ApprovalTerms } from '../../domain/orders/approval-chain';
import type { ApproverFacts } from '../../domain/orders/lifecycle';
import { DEFAULT_SLA_CONTEXT, slaContextOf } from '../../domain/orders/sla-lifecycle';
import type { Order } from '../../domain/orders/order';
import type { CallContext } from '../context';
import type { ClientRepository, UserRepository } from '../ports';
import { callerProfile } from '../users/users';

/**
 * What the approval chain's actions read (issue 17): the client's chain and business calendar, and
 * the approver's tier or limit from its trusted profile. The rules on them are the domain's
 * (approval-chain.ts); this only gathers.
 */

/** The client's approval terms: its chain (absent: approval limits alone) and its business calendar. */
export async function approvalTermsFor(deps: { readonly clients: ClientRepository }, clientId: string): Promise<ApprovalTerms> {
  const client = (await deps.clients.get(clientId))?.value;
  const calendar = client ? slaContextOf(client).calendar : DEFAULT_SLA_CONTEXT.calendar;
  return { ...(client?.approvalChain ? { chain: client.approvalChain } : {}), calendar };
}

/** The caller's approval facts: a client user's tier and limit (from a profile that agrees with its token), the client's terms. */
export async function approverFacts(
  deps: { readonly clients: ClientRepository; readonly users: UserRepository },
  call: CallContext,
  order: Order,
): Promise<ApproverFacts> {
  const client = call.principal.role === 'client';
  const [terms, profile] = await Promise.all([
    approvalTermsFor(deps, order.clientId),
    client ? callerProfile(deps.users, call.principal) : undefined,
  ]);
  const p = profile?.stored?.value;
  return {
    terms,
    ...(p?.approvalLimit ? { approvalLimit: p.approvalLimit } : {}),
    ...(p?.approvalTier ? { approvalTier: p.approvalTier } : {}),
  };
}
