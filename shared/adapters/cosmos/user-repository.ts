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

  async listByRole(role: UserProfile['role']): Promise<UserProfile[]> {
    try {
      const { resources } = await this.container.items
        .query<StoredDoc>({
          query: 'SELECT * FROM c WHERE c.docType = "user" AND c.role = @role',
          parameters: [{ name: '@role', value: role }],
        })
        .fetchAll();
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
