import type { Container } from '@azure/cosmos';
import type { Page, PageRequest, Versioned } from '../../application/ports';
import type { PlanRepository } from '../../application/plans/ports';
import type { Plan } from '../../domain/plans/plan';
import { fromDoc, readDoc, toDoc, translateError, type StoredDoc } from './documents';
import { queryPage } from './paging';

const DOC_TYPE = 'plan';

/**
 * Maintenance plans live in their client's partition of `clients` (docs/plans.md): a client's plans
 * are one partition query, next to its sites, and no new container is provisioned. The timer's
 * query (`findDue`) is the one fan-out, over active plans by `nextDueOn`.
 */
export class CosmosPlanRepository implements PlanRepository {
  constructor(private readonly container: Container) {}

  async create(plan: Plan): Promise<Versioned<Plan>> {
    try {
      const { resource } = await this.container.items.create<StoredDoc>(toDoc(DOC_TYPE, plan.id, plan));
      return fromDoc<Plan>(resource as StoredDoc);
    } catch (err) {
      return translateError(err, 'plan');
    }
  }

  async get(clientId: string, planId: string): Promise<Versioned<Plan> | undefined> {
    const doc = await readDoc(this.container, planId, clientId);
    return doc?.docType === DOC_TYPE ? fromDoc<Plan>(doc) : undefined;
  }

  async save(plan: Plan, etag: string): Promise<Versioned<Plan>> {
    try {
      const { resource } = await this.container
        .item(plan.id, plan.clientId)
        .replace<StoredDoc>(toDoc(DOC_TYPE, plan.id, plan), { accessCondition: { type: 'IfMatch', condition: etag } });
      return fromDoc<Plan>(resource as StoredDoc);
    } catch (err) {
      return translateError(err, 'plan');
    }
  }

  async listForClient(clientId: string, page: PageRequest): Promise<Page<Plan>> {
    const result = await queryPage(
      this.container,
      {
        query: 'SELECT * FROM c WHERE c.clientId = @clientId AND c.docType = "plan" ORDER BY c.id ASC',
        parameters: [{ name: '@clientId', value: clientId }],
      },
      page,
      clientId,
    );
    return { ...result, items: result.items.map((d) => fromDoc<Plan>(d).value) };
  }

  async findDue(date: string, limit: number): Promise<{ clientId: string; planId: string }[]> {
    try {
      const { resources } = await this.container.items
        .query<{ id: string; clientId: string }>(
          {
            query:
              'SELECT TOP @limit c.id, c.clientId FROM c WHERE c.docType = "plan" AND c.status = "active" AND c.nextDueOn <= @date ORDER BY c.nextDueOn ASC',
            parameters: [
              { name: '@date', value: date },
              { name: '@limit', value: limit },
            ],
          },
          { maxItemCount: limit },
        )
        .fetchAll();
      return resources.map((r) => ({ clientId: r.clientId, planId: r.id }));
    } catch (err) {
      return translateError(err, 'plans');
    }
  }
}
