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
});
