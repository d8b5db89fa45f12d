/**
 * `npm start`: the whole system on this machine, no cloud account, no Docker, no network.
 * Settings: LOCAL_DATA_DIR (default .local), LOCAL_HTTP_PORT (default 7071), and any app setting
 * (environment or local.settings.json) to point an adapter at a real service instead.
 */
import { resolve } from 'node:path';
import { createLogger } from '../shared/platform/logger';
import { applyLocalSettings } from './settings';
import { startLocalStack, type LocalStack } from './stack';
import { outboxesOf } from './stack-file';

const logger = createLogger({ level: (process.env.LOG_LEVEL as 'info' | undefined) ?? 'info', fields: { app: 'algesta-local' } });

async function main(): Promise<void> {
  applyLocalSettings(resolve('local.settings.json'));
  const stack = await startLocalStack({
    dataDir: resolve(process.env.LOCAL_DATA_DIR ?? '.local'),
    port: Number(process.env.LOCAL_HTTP_PORT ?? 7071),
    logger,
  });

  const lines = [
    '',
    `Algesta API listening on ${stack.url}/api  (ready: ${stack.url}/api/health/ready)`,
    // The console answers requests addressed to localhost (local/console/guard.ts); the name reads better.
    `Console: ${stack.url.replace('//127.0.0.1:', '//localhost:')}/console  (mailbox, WhatsApp simulator, contracts to sign, dead letters, tokens)`,
    `API reference: ${stack.url}/api/docs  (OpenAPI: ${stack.url}/api/v1/openapi.json)`,
    'Development tokens (8 h) for the demo users:',
    ...Object.entries(stack.tokens).map(([role, token]) => `  ${role.padEnd(8)} ${token}`),
    'More: npm run token -- --role client --client <clientId>',
    ...sandboxLines(stack),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { signal });
    stack
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error('shutdown failed', { error: err });
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  // A configuration error names the setting; nothing else is worth a stack trace to the user.
  logger.error('start-up failed', { error: err instanceof Error ? err.message : err });
  process.exit(1);
});

/** Where to see what the partners would have received (docs/integrations.md, docs/notifications.md). */
function sandboxLines(stack: LocalStack): string[] {
  const sandboxDir = process.env.SANDBOX_DIR;
  const lines: string[] = [];
  if (sandboxDir) {
    const { mailbox, whatsapp } = outboxesOf(sandboxDir);
    lines.push(`E-mails: ${mailbox}   WhatsApp: ${whatsapp}`);
  }
  const s = stack.services.sandboxes;
  if (s) {
    lines.push(`DocuSign sandbox: sign an envelope at ${s.docusign.url}/sandbox/sign/<envelopeId>`);
    lines.push(`Asana ${s.asana.url}  Assets ${s.assets.url}  Qsystems ${s.qsystems.url} (sandboxes)`);
  }
  return lines;
}
