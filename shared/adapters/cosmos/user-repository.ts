import type { Container } from '@azure/cosmos';
import type { UserProfile } from '../../domain/users/user';
import type { UserRepository, Versioned } from '../../application/ports';
import { fromDoc, readDoc, toDoc, translateError, type StoredDoc } from './documents';

export class CosmosUserRepository implements UserRepository {
  constructor(private readonly container: Container) {}

  async get(userId: string): Promise<Versioned<UserProfile> | undefined> {
    const doc = await readDoc(this.container, userId, userId);
    return doc ? fromDoc<UserProfile>(doc, ['id']) : undefined;
  }

  async listByRole(role: UserProfile['role'], scope: { clientId?: string; providerId?: string } = {}): Promise<UserProfile[]> {
    const clauses = ['c.docType = "user"', 'c.role = @role'];
    const parameters: { name: string; value: string }[] = [{ name: '@role', value: role }];
    if (scope.clientId) {
      clauses.push('c.clientId = @clientId');
      parameters.push({ name: '@clientId', value: scope.clientId });
    }
    if (scope.providerId) {
      clauses.push('c.providerId = @providerId');
      parameters.push({ name: '@providerId', value: scope.providerId });
    }
    return this.query(`SELECT * FROM c WHERE ${clauses.join(' AND ')}`, parameters);
  }

  async withPhone(phone: string): Promise<UserProfile[]> {
    return this.query('SELECT TOP 2 * FROM c WHERE c.docType = "user" AND c.phone = @phone', [{ name: '@phone', value: phone }]);
  }

  private async query(query: string, parameters: { name: string; value: string }[]): Promise<UserProfile[]> {
    try {
      const { resources } = await this.container.items.query<StoredDoc>({ query, parameters }).fetchAll();
      return resources.map((d) => fromDoc<UserProfile>(d, ['id']).value);
    } catch (err) {
      return translateError(err, 'users');
    }
  }

  async put(profile: UserProfile, ifMatch?: string | null): Promise<Versioned<UserProfile>> {
    const doc = toDoc('user', profile.userId, profile);
    try {
      if (ifMatch === null) {
        const { resource } = await this.container.items.create<StoredDoc>(doc);
        return fromDoc<UserProfile>(resource as StoredDoc, ['id']);
      }
      if (ifMatch === undefined) {
        const { resource } = await this.container.items.upsert<StoredDoc>(doc);
        return fromDoc<UserProfile>(resource as StoredDoc, ['id']);
      }
      const { resource } = await this.container
        .item(profile.userId, profile.userId)
        .replace<StoredDoc>(doc, { accessCondition: { type: 'IfMatch', condition: ifMatch } });
      return fromDoc<UserProfile>(resource as StoredDoc, ['id']);
    } catch (err) {
      // "Must not exist" lost the race, or the named version is gone: both mean "changed meanwhile".
      const status = (err as { code?: number }).code;
      if (status === 409 || status === 404) return translateError({ code: 412 }, 'user');
      return translateError(err, 'user');
    }
  }
}
