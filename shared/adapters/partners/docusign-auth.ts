import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { z } from 'zod';
import type { SecretStore } from '../../application/integrations/ports';
import { fetchOnce, readBody } from './partner-fetch';
import { PARTNER_SECRETS } from './secret-names';

/**
 * DocuSign OAuth JWT grant: an assertion signed RS256 with the integration key's RSA private key
 * (from the secret store) is exchanged at `{oauthBaseUrl}/oauth/token` for an access token, which is
 * kept until shortly before it expires. Claims: `iss` the integration key, `sub` the impersonated
 * user's id, `aud` the OAuth host (`account-d.docusign.com` in the developer environment,
 * `account.docusign.com` in production — without scheme), `scope` "signature impersonation",
 * `iat`, `exp` one hour later (DocuSign's maximum).
 */
export interface DocuSignAuthOptions {
  /** `https://account-d.docusign.com` (developer) or `https://account.docusign.com` (production). */
  readonly oauthBaseUrl: string;
  /** The integration key (OAuth client id). */
  readonly integrationKey: string;
  /** The id (GUID) of the user the integration acts as; that user has granted consent once. */
  readonly userId: string;
  readonly scopes?: string;
  readonly privateKeySecret?: string;
  /** Refresh this long before the token expires (default 5 minutes). */
  readonly refreshMarginSeconds?: number;
  readonly now?: () => Date;
}

const ASSERTION_LIFETIME_SECONDS = 3600;

const tokenResponse = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().int().positive(),
});

interface CachedToken {
  readonly value: string;
  /** Epoch ms after which the token is no longer used. */
  readonly refreshAt: number;
}

export class DocuSignTokenProvider {
  private cached: CachedToken | undefined;
  private pending: Promise<string> | undefined;
  private key: { pem: string; key: KeyObject } | undefined;
  private readonly now: () => Date;

  constructor(
    private readonly options: DocuSignAuthOptions,
    private readonly secrets: SecretStore,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** The OAuth host, which is also the assertion's audience. */
  get audience(): string {
    return new URL(this.options.oauthBaseUrl).host;
  }

  async token(signal: AbortSignal): Promise<string> {
    if (this.cached && this.now().getTime() < this.cached.refreshAt) return this.cached.value;
    // Concurrent callers share one token request.
    this.pending ??= this.requestToken(signal).finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forgets a token DocuSign no longer accepts (401), so the next call obtains a new one. */
  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private async requestToken(signal: AbortSignal): Promise<string> {
    const issuedAt = this.now();
    const assertion = await this.assertion(issuedAt);
    const response = await fetchOnce(
      'docusign',
      {
        operation: 'obtain access token',
        method: 'POST',
        url: new URL('/oauth/token', this.options.oauthBaseUrl).toString(),
        form: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      },
      signal,
    );
    const body = readBody(tokenResponse, response, 'docusign', 'obtain access token');
    const margin = Math.min(this.options.refreshMarginSeconds ?? 300, body.expires_in / 2);
    this.cached = { value: body.access_token, refreshAt: issuedAt.getTime() + (body.expires_in - margin) * 1000 };
    return body.access_token;
  }

  private async assertion(issuedAt: Date): Promise<string> {
    const iat = Math.floor(issuedAt.getTime() / 1000);
    return new SignJWT({ scope: this.options.scopes ?? 'signature impersonation' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(this.options.integrationKey)
      .setSubject(this.options.userId)
      .setAudience(this.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
      .sign(await this.signingKey());
  }

  private async signingKey(): Promise<KeyObject> {
    const pem = await this.secrets.get(this.options.privateKeySecret ?? PARTNER_SECRETS.docusignPrivateKey);
    if (this.key?.pem !== pem) {
      try {
        // DocuSign hands out PKCS#1 ("BEGIN RSA PRIVATE KEY"); node:crypto reads it as well as PKCS#8.
        this.key = { pem, key: createPrivateKey(pem) };
      } catch {
        throw new Error('the DocuSign private key secret is not a readable RSA private key (PEM)');
      }
    }
    return this.key.key;
  }
}
