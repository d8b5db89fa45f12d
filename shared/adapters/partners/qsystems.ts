import { z } from 'zod';
import { PartnerRejectedError } from '../../application/integrations/errors';
import type { SecretStore, TicketStatusUpdate, TicketSystem } from '../../application/integrations/ports';
import { partnerFetch } from './partner-fetch';
import { createPartnerPolicy, type PartnerPolicy } from './resilience';
import { PARTNER_SECRETS } from './secret-names';

/**
 * Qsystems, the client's ticket system (contract in docs/integrations.md):
 * `PUT {baseUrl}/tickets/{ticketRef}/status` with a bearer API token and
 * `{ status, from, sequence, at, source }`. The ticket keeps the highest sequence it has seen and
 * answers 409 `stale-sequence` to anything not newer, so updates delivered late or twice never
 * overwrite a newer status and a repeated one is not applied twice; for us that 409 means "already
 * there", a success.
 */
export interface QsystemsOptions {
  /** e.g. `https://qsystems.example.com/api/v1` */
  readonly baseUrl: string;
  readonly tokenSecret?: string;
}

const PARTNER = 'qsystems';
const staleAnswer = z.object({ error: z.literal('stale-sequence'), currentSequence: z.number().int().optional() }).loose();

export class QsystemsTicketSystem implements TicketSystem {
  private readonly baseUrl: string;

  constructor(
    private readonly options: QsystemsOptions,
    private readonly secrets: SecretStore,
    private readonly policy: PartnerPolicy = createPartnerPolicy(PARTNER),
  ) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async pushStatus(input: TicketStatusUpdate): Promise<{ applied: boolean }> {
    const token = await this.secrets.get(this.options.tokenSecret ?? PARTNER_SECRETS.qsystemsApiToken);
    const response = await partnerFetch(this.policy, {
      operation: 'push ticket status',
      method: 'PUT',
      url: `${this.baseUrl}/tickets/${encodeURIComponent(input.ticketRef)}/status`,
      headers: { authorization: `Bearer ${token}` },
      json: {
        status: input.status,
        ...(input.from !== undefined ? { from: input.from } : {}),
        sequence: input.sequence,
        at: input.at,
        source: 'algesta',
      },
      accept: [409],
    });
    if (response.status !== 409) return { applied: true };
    // Only the documented stale-sequence conflict is success; any other 409 is a real refusal.
    let body: unknown;
    try {
      body = response.json();
    } catch {
      body = response.text();
    }
    if (staleAnswer.safeParse(body).success) return { applied: false };
    throw new PartnerRejectedError(PARTNER, 'push ticket status', 409, body);
  }
}
