import { z } from 'zod';
import { formatMoney, type Money } from '../../domain/shared/money';
import { PartnerRejectedError } from '../../application/integrations/errors';
import type { ContractEnvelopeRequest, ContractSigning, SecretStore } from '../../application/integrations/ports';
import { DocuSignTokenProvider, type DocuSignAuthOptions } from './docusign-auth';
import { fetchOnce, readBody, PartnerContractError, type PartnerRequest, type PartnerResponse } from './partner-fetch';
import { createPartnerPolicy, type PartnerPolicy } from './resilience';

/**
 * DocuSign eSignature REST v2.1 (`{apiBaseUrl}/v2.1/accounts/{accountId}/...`), authenticated with
 * the JWT grant (docusign-auth.ts).
 *
 * The contract envelope comes from a configured template whose roles are `provider` and `client`.
 * The order's data goes in as text tabs (labels `orderId`, `orderTitle`, `contractAmount`,
 * `currency`) and as envelope custom fields (`orderId`, `clientId`); the `orderId` custom field is
 * also what Connect messages carry back and what makes creation idempotent: every attempt first
 * lists the account's envelopes with `custom_field=orderId=<id>` (changed since `from_date`) and
 * returns one that is still alive instead of creating another. A lost response to the create (the
 * envelope exists, we never heard) is thus found by the retry.
 */
export interface DocuSignOptions extends DocuSignAuthOptions {
  /** `https://demo.docusign.net/restapi` (developer) or the account's base URI + `/restapi`. */
  readonly apiBaseUrl: string;
  readonly accountId: string;
  readonly templateId: string;
  readonly roleNames?: { readonly provider: string; readonly client: string };
  /** How far back the idempotency search looks (`from_date`); default 90 days. */
  readonly searchLookbackDays?: number;
}

const PARTNER = 'docusign';
/** Envelopes in these states no longer stand for the order's contract: a new round gets a new one. */
const DEAD_STATUSES: ReadonlySet<string> = new Set(['voided', 'declined', 'deleted']);

const envelopeList = z
  .object({
    envelopes: z.array(z.object({ envelopeId: z.string().min(1), status: z.string().optional() }).loose()).optional(),
  })
  .loose();
const envelopeCreated = z.object({ envelopeId: z.string().min(1), status: z.string().optional() }).loose();

export class DocuSignContractSigning implements ContractSigning {
  private readonly auth: DocuSignTokenProvider;
  private readonly now: () => Date;

  constructor(
    private readonly options: DocuSignOptions,
    secrets: SecretStore,
    private readonly policy: PartnerPolicy = createPartnerPolicy(PARTNER),
  ) {
    this.auth = new DocuSignTokenProvider(options, secrets);
    this.now = options.now ?? (() => new Date());
  }

  createEnvelope(input: ContractEnvelopeRequest): Promise<{ envelopeId: string; created: boolean }> {
    return this.policy.execute('create envelope', async (signal) => {
      const existing = await this.findEnvelope(input.orderId, signal);
      if (existing) return { envelopeId: existing, created: false };
      const response = await this.call(
        { operation: 'create envelope', method: 'POST', url: this.url('/envelopes'), json: this.envelopeDefinition(input) },
        signal,
      );
      return { envelopeId: readBody(envelopeCreated, response, PARTNER, 'create envelope').envelopeId, created: true };
    });
  }

  getCombinedDocument(envelopeId: string): Promise<Uint8Array> {
    return this.policy.execute('get combined document', async (signal) => {
      const response = await this.call(
        {
          operation: 'get combined document',
          method: 'GET',
          url: this.url(`/envelopes/${encodeURIComponent(envelopeId)}/documents/combined`),
          headers: { accept: 'application/pdf' },
        },
        signal,
      );
      if (!isPdf(response.bytes)) throw new PartnerContractError(PARTNER, 'get combined document', 'not a PDF');
      return response.bytes;
    });
  }

  private async findEnvelope(orderId: string, signal: AbortSignal): Promise<string | undefined> {
    const lookbackMs = (this.options.searchLookbackDays ?? 90) * 86_400_000;
    const query = new URLSearchParams({
      from_date: new Date(this.now().getTime() - lookbackMs).toISOString(),
      custom_field: `orderId=${orderId}`,
    });
    const response = await this.call(
      { operation: 'search envelopes', method: 'GET', url: `${this.url('/envelopes')}?${query.toString()}` },
      signal,
    );
    const list = readBody(envelopeList, response, PARTNER, 'search envelopes');
    return list.envelopes?.find((e) => !DEAD_STATUSES.has((e.status ?? '').toLowerCase()))?.envelopeId;
  }

  /** A request with the access token; a 401 (token revoked or expired early) gets one new token. */
  private async call(request: PartnerRequest, signal: AbortSignal): Promise<PartnerResponse> {
    const send = async (token: string) =>
      fetchOnce(PARTNER, { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }, signal);
    const token = await this.auth.token(signal);
    try {
      return await send(token);
    } catch (err) {
      if (!(err instanceof PartnerRejectedError) || err.status !== 401) throw err;
      this.auth.invalidate(token);
      return send(await this.auth.token(signal));
    }
  }

  private url(path: string): string {
    const base = this.options.apiBaseUrl.replace(/\/+$/, '');
    return `${base}/v2.1/accounts/${encodeURIComponent(this.options.accountId)}${path}`;
  }

  private envelopeDefinition(input: ContractEnvelopeRequest) {
    const roles = this.options.roleNames ?? { provider: 'provider', client: 'client' };
    const textTabs = [
      { tabLabel: 'orderId', value: input.orderId },
      { tabLabel: 'orderTitle', value: input.title },
      { tabLabel: 'contractAmount', value: formatAmount(input.amount) },
      { tabLabel: 'currency', value: input.amount.currency },
    ];
    const role = (roleName: string, signer: { name: string; email: string }) => ({
      roleName,
      name: signer.name,
      email: signer.email,
      tabs: { textTabs },
    });
    return {
      templateId: this.options.templateId,
      // DocuSign caps the subject at 100 characters.
      emailSubject: `Contrato de servicio: ${input.title}`.slice(0, 100),
      templateRoles: [role(roles.provider, input.providerSigner), role(roles.client, input.clientSigner)],
      customFields: {
        textCustomFields: [
          { name: 'orderId', value: input.orderId, show: 'false', required: 'false' },
          { name: 'clientId', value: input.clientId, show: 'false', required: 'false' },
        ],
      },
      status: 'sent',
    };
  }
}

/**
 * Minor units → the amount as a Colombian reader expects it: "$ 1.250.000" for 125000000 COP
 * centavos; decimals only when there are any.
 */
export function formatAmount(money: Money): string {
  return formatMoney(money, 'es-CO', 'exact');
}

function isPdf(bytes: Uint8Array): boolean {
  return bytes.length > 5 && new TextDecoder().decode(bytes.subarray(0, 5)) === '%PDF-';
}
