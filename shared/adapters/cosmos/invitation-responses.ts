import type { Container } from '@azure/cosmos';
import type { InvitationResponses } from '../../application/whatsapp/ports';
import { statusOf, toDoc, translateError } from './documents';

/** A provider's declined invitations: `decline~<orderId>` in the provider's partition, written once. */
export class CosmosInvitationResponses implements InvitationResponses {
  constructor(
    private readonly container: Container,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async decline(providerId: string, orderId: string, reason: string): Promise<void> {
    try {
      await this.container.items.create(
        toDoc('invitation-decline', `decline~${orderId}`, { providerId, orderId, reason, declinedAt: this.now().toISOString() }),
      );
    } catch (err) {
      if (statusOf(err) !== 409) translateError(err, 'invitation decline'); // declined before: the first stands
    }
  }

  async listDeclined(providerId: string): Promise<readonly string[]> {
    try {
      const { resources } = await this.container.items
        .query<{ orderId: string }>(
          {
            query: 'SELECT c.orderId FROM c WHERE c.providerId = @p AND c.docType = "invitation-decline"',
            parameters: [{ name: '@p', value: providerId }],
          },
          { partitionKey: providerId },
        )
        .fetchAll();
      return resources.map((r) => r.orderId);
    } catch (err) {
      return translateError(err, 'invitation declines');
    }
  }
}
