/**
 * Tokens that passed the full check (signature, issuer, audience, times), remembered by their exact
 * text so that a caller's next requests skip the signature verification — the largest cost of ours
 * on a point read (docs/performance.md). Why this is safe (docs/decisions.md):
 *  - only a token that verified is stored, under its whole text, signature included: a forged or
 *    altered token is another key and gets the full check;
 *  - the expiry is checked again on every hit, with the same tolerance as the full check;
 *  - an entry lives at most `maxAgeMs`, so a signing key withdrawn from the issuer's key set stops
 *    being honoured at most that long after the key-set cache (10 minutes) lets it go;
 *  - the size is bounded; the least recently used entry makes room.
 * Failures are never stored: a bad token costs its full check every time, as before.
 */
export interface VerifiedTokenCacheOptions {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
}

interface Entry<T> {
  readonly value: T;
  /** Epoch ms after which the token itself is expired (its `exp` plus the clock tolerance). */
  readonly expiresAt: number;
  /** Epoch ms after which the entry is dropped, valid or not. */
  readonly cachedUntil: number;
}

export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly opts: VerifiedTokenCacheOptions) {}

  /** The value stored for this exact token, while both the token and the entry are still valid. */
  get(token: string, nowMs: number): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (nowMs >= entry.expiresAt || nowMs >= entry.cachedUntil) return undefined;
    this.entries.set(token, entry); // most recently used last
    return entry.value;
  }

  set(token: string, value: T, expiresAt: number, nowMs: number): void {
    if (this.opts.maxEntries <= 0 || nowMs >= expiresAt) return;
    this.entries.delete(token);
    while (this.entries.size >= this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(token, { value, expiresAt, cachedUntil: nowMs + this.opts.maxAgeMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
