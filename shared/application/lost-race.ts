import { PreconditionFailedError } from './errors';

/**
 * Every change to an aggregate (an order, a provider) is decided on the document as read and written
 * on its ETag. When the write loses to a concurrent writer — most often a background step recording
 * an envelope, a task, an asset or a scorecard — the change is read and decided again on the fresh
 * document: the decisions are pure, so deciding twice is safe. A caller that sent `If-Match` asked
 * for that version only, so its 412 stands; so does the last of `attempts` lost races.
 */
export async function decidedAgainOnLostRace<T>(
  run: () => Promise<T>,
  opts: { readonly ifMatch?: string; readonly attempts?: number } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof PreconditionFailedError) || opts.ifMatch !== undefined || attempt >= attempts) throw err;
    }
  }
}
