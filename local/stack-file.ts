import { join } from 'node:path';

/**
 * What a running local stack tells other local tools (`npm run dlq`) about itself: written to the
 * data folder when it is up, removed when it stops. The data-folder lock says whether it is alive.
 */
export const RUNNING_STACK_FILE = 'running-stack.json';

export interface RunningStack {
  readonly pid: number;
  readonly url: string;
  readonly cosmosEndpoint: string;
  /** The partners' sandboxes, when the stack started them (docs/integrations.md). */
  readonly sandboxes?: Readonly<Record<'docusign' | 'asana' | 'assets' | 'qsystems', string>>;
  /** Where the sandboxes drop what would go out: e-mails (`.eml`) and WhatsApp messages. */
  readonly outboxes: { readonly mailbox: string; readonly whatsapp: string };
}

/** Where the sandboxes under `SANDBOX_DIR` drop e-mails and WhatsApp messages. */
export function outboxesOf(sandboxDir: string): RunningStack['outboxes'] {
  return { mailbox: join(sandboxDir, 'mailbox'), whatsapp: join(sandboxDir, 'whatsapp') };
}
