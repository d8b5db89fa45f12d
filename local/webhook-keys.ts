import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The SendGrid Event Webhook's signing key for the embedded stack: SendGrid signs with its private
 * key and gives the account the public one; locally we hold both, so tests and the sandbox can post
 * correctly signed reports. Created once per data folder and reused.
 */
export interface SendGridWebhookKey {
  /** What `SENDGRID_WEBHOOK_PUBLIC_KEY` holds: base64 of the DER (SPKI) public key, as SendGrid shows it. */
  readonly publicKey: string;
  /** Signs a request the way SendGrid does: ECDSA P-256 SHA-256 over timestamp + body, DER, base64. */
  sign(timestamp: string, body: string): string;
}

export async function loadOrCreateSendGridWebhookKey(dir: string): Promise<SendGridWebhookKey> {
  const file = join(dir, 'private.pem');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(file, 'utf8'));
  } catch {
    privateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    await mkdir(dir, { recursive: true });
    await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const publicKey = createPublicKeyBase64(privateKey);
  return {
    publicKey,
    sign: (timestamp, body) =>
      sign('sha256', Buffer.from(timestamp + body), { key: privateKey, dsaEncoding: 'der' }).toString('base64'),
  };
}

function createPublicKeyBase64(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
}
