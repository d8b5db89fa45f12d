import type { Client } from '../../domain/clients/client';
import { approvalChainProblems, type ApprovalChain } from '../../domain/orders/approval-chain';
import { requireClientScope, requireRole } from '../access';
import type { CallContext } from '../context';
import { InvalidConfigurationError, NotFoundError, PreconditionFailedError } from '../errors';
import { decidedAgainOnLostRace } from '../lost-race';
import type { ClientRepository, Versioned } from '../ports';

/**
 * `PUT /clients/{clientId}/approval-chain` (issue 17): staff set a client's approval chain. The
 * domain says what is wrong with it (approval-chain.ts); a wrong chain is a 400 with field errors
 * and nothing is written. Orders already waiting keep the chain they started with (a snapshot).
 */
export async function setApprovalChain(
  deps: { readonly clients: ClientRepository },
  call: CallContext,
  clientId: string,
  chain: ApprovalChain,
  ifMatch?: string,
): Promise<Versioned<Client>> {
  // Scope first: another client's user learns nothing (404), then the role (403).
  requireClientScope(call.principal, clientId);
  requireRole(call.principal, ['admin', 'operator'], 'configure approval chains');
  return decidedAgainOnLostRace(
    async () => {
      const current = await deps.clients.get(clientId);
      if (!current) throw new NotFoundError('client not found');
      if (ifMatch && ifMatch !== current.etag) throw new PreconditionFailedError('the client has changed; read it again');
      const problems = approvalChainProblems(chain, current.value.currency);
      if (problems.length) throw new InvalidConfigurationError('the approval chain is not valid', problems);
      return deps.clients.replace({ ...current.value, approvalChain: chain }, current.etag);
    },
    { ...(ifMatch ? { ifMatch } : {}) },
  );
}
