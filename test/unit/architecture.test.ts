import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The layer boundaries are enforced by lint; these prove the rules fire where they should. */
async function violations(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint();
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer boundaries', () => {
  it('domain/ imports no SDK, no I/O and nothing outside domain/', async () => {
    const file = 'shared/domain/orders/probe.ts';
    expect(
      await violations(file, "import { CosmosClient } from '@azure/cosmos';\nexport const x = CosmosClient;\n"),
    ).toHaveLength(1);
    expect(await violations(file, "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toHaveLength(1);
    expect(
      await violations(file, "import { loadConfig } from '../../platform/config';\nexport const x = loadConfig;\n"),
    ).toHaveLength(1);
    expect(
      await violations(file, "import { getRoot } from '../../../functions/composition-root';\nexport const x = getRoot;\n"),
    ).toHaveLength(1);
    expect(await violations(file, "import type { Money } from '../shared/money';\nexport type X = Money;\n")).toHaveLength(0);
  });

  it('application/ reaches no adapter, platform or SDK', async () => {
    const file = 'shared/application/orders/probe.ts';
    expect(
      await violations(
        file,
        "import { CosmosOrderRepository } from '../../adapters/cosmos/order-repository';\nexport const x = CosmosOrderRepository;\n",
      ),
    ).toHaveLength(1);
    expect(await violations(file, "import { app } from '@azure/functions';\nexport const x = app;\n")).toHaveLength(1);
    expect(await violations(file, "import { NotFoundError } from '../errors';\nexport const x = NotFoundError;\n")).toHaveLength(
      0,
    );
  });

  it('shared/ never depends on functions/ or local/', async () => {
    expect(
      await violations('shared/platform/http/probe.ts', "import { DEMO } from '../../../local/seed';\nexport const x = DEMO;\n"),
    ).toHaveLength(1);
  });

  it('functions/ builds no domain objects or events', async () => {
    const eslint = new ESLint();
    const messages = async (code: string) =>
      ((await eslint.lintText(code, { filePath: 'functions/http/probe.ts' }))[0]?.messages ?? []).map((m) => m.ruleId);
    expect(await messages("import { newOrder } from '../../shared/domain/orders/order';\nexport const x = newOrder;\n")).toEqual([
      '@typescript-eslint/no-restricted-imports',
    ]);
    expect(await messages("import { toEvents } from '../../shared/application/context';\nexport const x = toEvents;\n")).toEqual([
      '@typescript-eslint/no-restricted-imports',
    ]);
    expect(await messages("export const e = { id: '1', type: 'order.submitted', dataVersion: 1 };\n")).toEqual([
      'no-restricted-syntax',
      'no-restricted-syntax',
    ]);
    expect(
      await messages(
        "import { ORDER_STATUSES, type Order } from '../../shared/domain/orders/order';\nexport const x: Order[] = [];\nexport const y = { type: 'validation-error', s: ORDER_STATUSES };\n",
      ),
    ).toEqual([]);
  });
});
