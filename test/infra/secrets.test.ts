import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BicepFile, type Node, REPO, decorator, stringParts } from './support/bicep';
import { type Project, sampleOf } from './support/evaluate';
import { Deployment, ENVIRONMENTS, get, loadProject } from './support/infra';

let project: Project;
let files: BicepFile[];
beforeAll(async () => {
  project = await loadProject();
  files = project.all;
});

function nodes(root: Node, type: string): Node[] {
  const out: Node[] = [];
  const visit = (n: Node): void => {
    if (n.type === type) out.push(n);
    for (const c of n.namedChildren) visit(c);
  };
  visit(root);
  return out;
}

const where = (file: BicepFile, node: Node) => `${file.name}:${node.startPosition.row + 1}`;
const SECRET_NAME = /password|secret|connectionstring|credential|(key|keys|sas|token)$/i;
const SECRET_VALUE =
  /listKeys|listConnectionStrings|\.ConnectionString\b|InstrumentationKey|primaryKey|MasterKey|AccountKey=|SharedAccessKey=/i;

describe('no secret in parameters or outputs', () => {
  it('no @secure() parameter has a default value', () => {
    const found = files.flatMap((f) =>
      f.decls
        .filter((d) => d.kind === 'param' && decorator(d, 'secure') && d.node.namedChildren.length > 2)
        .map((d) => where(f, d.node)),
    );
    expect(found).toEqual([]);
  });

  it('no output is secure, named like a secret or computed from one', () => {
    const found = files.flatMap((f) =>
      f.decls
        .filter((d) => d.kind === 'output')
        // A list of secret *names* is no secret.
        .filter((d) => !/names$/i.test(d.name))
        .filter(
          (d) =>
            decorator(d, 'secure') ||
            SECRET_NAME.test(d.name.replace(/_/g, '')) ||
            SECRET_VALUE.test(d.node.namedChildren.at(-1)!.text),
        )
        .map((d) => `${where(f, d.node)} ${d.name}`),
    );
    expect(found).toEqual([]);
  });

  it('no list*() function reads a key anywhere in infra/', () => {
    const found = files.flatMap((f) =>
      nodes(f.root, 'call_expression')
        .filter((c) => /^list/i.test(c.childForFieldName('function')!.text.split('.').at(-1)!))
        .map((c) => `${where(f, c)} ${c.text.slice(0, 60)}`),
    );
    expect(found).toEqual([]);
  });

  it('no string in infra/ holds a key, a connection string or a password', () => {
    const found = files.flatMap((f) =>
      nodes(f.root, 'string')
        .filter((s) =>
          /AccountKey=|SharedAccessKey=|DefaultEndpointsProtocol=|password=/i.test(
            stringParts(s)
              .filter((p) => typeof p === 'string')
              .join(''),
          ),
        )
        .map((s) => where(f, s)),
    );
    expect(found).toEqual([]);
  });

  it('main.bicep takes no parameter named like a secret, so no parameter file can hold one', () => {
    const main = files.find((f) => f.name === 'infra/main.bicep')!;
    expect(main.decls.filter((d) => d.kind === 'param' && SECRET_NAME.test(d.name)).map((d) => d.name)).toEqual([]);
  });
});

describe('Key Vault', () => {
  it.each(ENVIRONMENTS)('%s: names every secret the code reads, through the SDK or a Key Vault reference', async (env) => {
    const d = Deployment.of(project, env);
    const references = Object.values(d.appSettings())
      .map((v) => /SecretName=([^;)]+)/.exec(sampleOf(v) ?? '')?.[1])
      .filter((n): n is string => !!n);
    // The partner adapters' names live in the code; infra follows them.
    const partnerModule = '../../shared/adapters/partners/secret-names';
    const partners = (await import(/* @vite-ignore */ partnerModule).catch(() => ({}))) as {
      PARTNER_SECRETS?: Record<string, string>;
    };
    const expected = new Set([...references, ...Object.values(partners.PARTNER_SECRETS ?? {})]);
    const vaultModule = d.modules().find((m) => m.path === 'modules/keyvault.bicep')!;
    expect(new Set(vaultModule.child!.output('expectedSecretNames') as string[])).toEqual(expected);
  });

  it('the runbook says where each secret comes from', () => {
    const runbook = readFileSync(`${REPO}/docs/operations.md`, 'utf8');
    const names = Deployment.of(project, 'prod').main.output('AZURE_KEY_VAULT_SECRET_NAMES') as string[];
    expect(names.filter((n) => !runbook.includes(`\`${n}\``))).toEqual([]);
  });
});

describe('no keys to steal', () => {
  it.each(ENVIRONMENTS)('%s: every service accepts Entra ID only', (env) => {
    const d = Deployment.of(project, env);
    expect(d.registryModule('avm/res/document-db/database-account').params.disableLocalAuthentication).toBe(true);
    for (const n of d.registryModules('avm/res/service-bus/namespace')) expect(n.params.disableLocalAuth).toBe(true);
    for (const s of d.registryModules('avm/res/storage/storage-account')) expect(s.params.allowSharedKeyAccess).toBe(false);
    for (const c of d.registryModules('avm/res/insights/component')) expect(c.params.disableLocalAuth).toBe(true);
    for (const w of d.registryModules('avm/res/operational-insights/workspace'))
      expect(get(w.params, 'features', 'disableLocalAuth')).toBe(true);
    for (const { site } of d.regions()) {
      const publishing = site.params.basicPublishingCredentialsPolicies as { name: string; allow: boolean }[];
      // Flex Consumption has no FTP endpoint (flex.test.ts): SCM is the only publishing password.
      expect(publishing.map((p) => `${p.name}:${p.allow}`).sort()).toEqual(['scm:false']);
    }
    // Each loop above had something to check: one of each per region, or one in all.
    expect(d.registryModules('avm/res/insights/component')).toHaveLength(d.regions().length);
    expect(d.registryModules('avm/res/storage/storage-account')).toHaveLength(d.regions().length + 1);
  });

  it.each(ENVIRONMENTS)('%s: Key Vault uses Azure RBAC and soft delete; purge protection everywhere but dev', (env) => {
    const vault = Deployment.of(project, env).registryModule('avm/res/key-vault/vault').params;
    expect(vault.enableRbacAuthorization).toBe(true);
    expect(vault.enableSoftDelete).toBe(true);
    // The vault's name depends only on subscription, environment and region, so it is the same after
    // `azd down` and `azd up`; in dev `azd down --purge` must be able to free it (issue 22).
    expect(vault.enablePurgeProtection).toBe(env !== 'dev');
    expect(vault.softDeleteRetentionInDays).toBeGreaterThanOrEqual(7);
    expect(vault).not.toHaveProperty('secrets');
  });

  it('the vault is named from subscription, environment and region only: `azd up` after `azd down` wants the same name', () => {
    const main = Deployment.of(project, 'dev').main;
    const names = main.file.decls.find((d) => d.name === 'names')!.node.text;
    expect(names).toMatch(/keyVault: 'kv-algesta-\$\{token\}'/);
    expect(main.file.decls.find((d) => d.name === 'token')!.node.text).toMatch(
      /uniqueString\(subscription\(\)\.id, environmentName, location\)/,
    );
  });
});
