import type { Dialog, Party, Reply, Request } from './dialog';
import { normalize } from './input';

/** What a flow answers to one input: the next dialog, its replies, and maybe a request. */
export interface Move {
  readonly dialog: Dialog;
  readonly replies: readonly Reply[];
  readonly request?: Request;
}

export const IDLE: Dialog = { step: 'idle' };

export const move = (dialog: Dialog, replies: readonly Reply[] = [], request?: Request): Move =>
  request ? { dialog, replies, request } : { dialog, replies };

export function menu(party: Party): Reply {
  const role = party.role === 'client' ? 'client' : 'provider';
  return party.name ? { key: 'menu', role, name: party.name } : { key: 'menu', role };
}

/** The text trimmed and cut at `max`, when it has at least `min` meaningful characters. */
export function longEnough(text: string, min: number, max: number): string | undefined {
  const t = text.trim();
  return normalize(t).length >= min ? t.slice(0, max) : undefined;
}
