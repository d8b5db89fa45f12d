import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsanaTaskTracker } from '../../../shared/adapters/partners/asana';
import { HttpAssetRegistry } from '../../../shared/adapters/partners/assets-http';
import { DocuSignContractSigning } from '../../../shared/adapters/partners/docusign';
import { parseConnectEvent, parseHmacKeyList, verifyConnectSignature } from '../../../shared/adapters/partners/docusign-connect';
import { EnvSecretStore } from '../../../shared/adapters/partners/key-vault-secrets';
import { QsystemsTicketSystem } from '../../../shared/adapters/partners/qsystems';
import { PARTNER_SECRETS } from '../../../shared/adapters/partners/secret-names';
import { startSandboxes, type Sandboxes } from '../../../local/sandboxes';
import { fastPolicy, tempDir, webhookReceiver } from './support';

/**
 * The sandboxes as the local stack starts them: one call, state under `<dir>/<partner>`, and the
 * settings + `SECRET_*` variables that the real adapters need — the wiring, proven once end to end.
 */
let dir: Awaited<ReturnType<typeof tempDir>>;
let sandboxes: Sandboxes;
let webhook: Awaited<ReturnType<typeof webhookReceiver>>;

beforeAll(async () => {
  dir = await tempDir();
  webhook = await webhookReceiver();
  sandboxes = await startSandboxes({ dataDir: dir.path, docusignWebhookUrl: webhook.url });
});
afterAll(async () => {
  await sandboxes.close();
  await webhook.close();
  await dir.dispose();
});

function adapters(s: Readonly<Record<string, string>>) {
  const secrets = new EnvSecretStore(s);
  return {
    secrets,
    docusign: new DocuSignContractSigning(
      {
        oauthBaseUrl: s.DOCUSIGN_OAUTH_BASE_URL!,
        apiBaseUrl: s.DOCUSIGN_API_BASE_URL!,
        accountId: s.DOCUSIGN_ACCOUNT_ID!,
        integrationKey: s.DOCUSIGN_INTEGRATION_KEY!,
        userId: s.DOCUSIGN_USER_ID!,
        templateId: s.DOCUSIGN_TEMPLATE_ID!,
      },
      secrets,
      fastPolicy('docusign'),
    ),
    asana: new AsanaTaskTracker({ baseUrl: s.ASANA_BASE_URL! }, secrets, fastPolicy('asana')),
    assets: new HttpAssetRegistry({ baseUrl: s.ASSETS_BASE_URL! }, secrets, fastPolicy('assets')),
    qsystems: new QsystemsTicketSystem({ baseUrl: s.QSYSTEMS_BASE_URL! }, secrets, fastPolicy('qsystems')),
  };
}

describe('startSandboxes', () => {
  it('gives settings under which every adapter works, and a sign link whose Connect message verifies', async () => {
    const a = adapters(sandboxes.settings);
    const orderId = `ord_${randomUUID()}`;
    const { envelopeId } = await a.docusign.createEnvelope({
      orderId,
      clientId: 'cli_00000000000000000000000001',
      title: 'Bomba de agua',
      amount: { amount: 50_000_000, currency: 'COP' },
      providerSigner: { name: 'P', email: 'p@example.com' },
      clientSigner: { name: 'C', email: 'c@example.com' },
    });
    const signed = await fetch(sandboxes.docusign.signUrl(envelopeId), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=sign',
    });
    expect(signed.status).toBe(200);
    const message = webhook.received.at(-1)!;
    const keys = parseHmacKeyList(await a.secrets.get(PARTNER_SECRETS.docusignConnectHmacKeys));
    const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v)]));
    expect(verifyConnectSignature(message.rawBody, headers, keys)).toBe(true);
    expect(parseConnectEvent(message.rawBody)).toMatchObject({ event: 'envelope-completed', orderId });

    const task = await a.asana.ensureTask({
      orderId,
      projectGid: sandboxes.settings.ASANA_DEFAULT_PROJECT_GID!,
      name: 'Bomba de agua',
      notes: 'x',
      status: 'SUBMITTED',
    });
    expect(task.created).toBe(true);
    expect(await a.assets.find('cli_00000000000000000000000001', 'sit_00000000000000000000000001', 'ELEC-001')).toMatchObject({
      name: 'Tablero eléctrico principal',
    });
    expect(
      await a.qsystems.pushStatus({ ticketRef: 'QS-100', status: 'SUBMITTED', sequence: 1, at: new Date().toISOString() }),
    ).toEqual({
      applied: true,
    });
  });

  it('a restart keeps credentials and state (envelopes, tasks, tickets)', async () => {
    const before = {
      settings: sandboxes.settings,
      envelopes: sandboxes.docusign.envelopes().length,
      tasks: sandboxes.asana.tasks().length,
    };
    await sandboxes.close();
    sandboxes = await startSandboxes({ dataDir: dir.path, docusignWebhookUrl: webhook.url });
    expect(sandboxes.settings[EnvSecretStore.variableFor(PARTNER_SECRETS.asanaPat)]).toBe(
      before.settings[EnvSecretStore.variableFor(PARTNER_SECRETS.asanaPat)],
    );
    expect(sandboxes.docusign.envelopes()).toHaveLength(before.envelopes);
    expect(sandboxes.asana.tasks()).toHaveLength(before.tasks);
    expect(sandboxes.qsystems.ticket('QS-100')).toMatchObject({ sequence: 1 });
    for (const partner of ['docusign', 'asana', 'assets', 'qsystems']) expect(existsSync(join(dir.path, partner))).toBe(true);
    // The adapters, rebuilt from the new settings (new ports), still find the order's task.
    const a = adapters(sandboxes.settings);
    const orderId = sandboxes.docusign.envelopes()[0]!.textCustomFields[0]!.value;
    const again = await a.asana.ensureTask({
      orderId,
      projectGid: sandboxes.settings.ASANA_DEFAULT_PROJECT_GID!,
      name: 'Bomba de agua',
      notes: 'x',
      status: 'SUBMITTED',
    });
    expect(again.created).toBe(false);
  });
});
