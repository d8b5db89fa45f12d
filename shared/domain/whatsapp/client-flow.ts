import { SERVICE_CATEGORIES } from '../orders/order';
import type { Dialog, MediaRef, Result, UserMessage } from './dialog';
import { PHOTO_LIMIT } from './dialog';
import { is, parseChoice, titleFrom } from './input';
import { IDLE, longEnough, move, type Move } from './moves';

/**
 * A client user opens an order: site (numbered list of its sites), category (numbered list),
 * description (free text), photos (0..n, "listo" to finish); or asks for its recent orders.
 * Answers undefined for an idle message it does not understand (the machine shows the menu).
 */
export function clientMessage(dialog: Dialog, message: Exclude<UserMessage, { kind: 'other' | 'location' }>): Move | undefined {
  const text = message.kind === 'text' ? message.text : undefined;
  switch (dialog.step) {
    case 'idle':
      if (text === undefined) return move(dialog, [{ key: 'unexpected-photo' }]);
      if (parseChoice(text, 2) === 0 || is(text, 'newOrder')) return move(dialog, [], { kind: 'list-sites' });
      if (parseChoice(text, 2) === 1 || is(text, 'recentOrders')) return move(dialog, [], { kind: 'recent-orders' });
      return undefined;
    case 'choose-site': {
      const i = text === undefined ? undefined : parseChoice(text, dialog.sites.length);
      const site = i === undefined ? undefined : dialog.sites[i];
      if (!site) return move(dialog, [{ key: 'pick-number', max: dialog.sites.length }]);
      return move({ step: 'choose-category', siteId: site.id, siteName: site.name }, [{ key: 'choose-category' }]);
    }
    case 'choose-category': {
      const i = text === undefined ? undefined : parseChoice(text, SERVICE_CATEGORIES.length);
      const category = i === undefined ? undefined : SERVICE_CATEGORIES[i];
      if (!category) return move(dialog, [{ key: 'pick-number', max: SERVICE_CATEGORIES.length }]);
      return move({ step: 'describe', siteId: dialog.siteId, category, photos: [] }, [{ key: 'describe' }]);
    }
    case 'describe':
      return describe(dialog, message);
    case 'photos':
      return photos(dialog, message);
    default:
      // A provider's step cannot belong to a client: start over.
      return move(IDLE, [{ key: 'cancelled' }]);
  }
}

function describe(
  dialog: Extract<Dialog, { step: 'describe' }>,
  message: Exclude<UserMessage, { kind: 'other' | 'location' }>,
): Move {
  if (message.kind === 'image') {
    // A photo sent before the description is kept; its caption may be the description.
    const kept = addPhoto(dialog.photos, message.media);
    const caption = message.caption === undefined ? undefined : longEnough(message.caption, 5, 4000);
    if (caption) return toPhotos(dialog, caption, kept, [{ key: 'photo-received', count: kept.length }]);
    return move({ ...dialog, photos: kept }, [{ key: 'photo-received', count: kept.length }, { key: 'describe' }]);
  }
  const description = longEnough(message.text, 5, 4000);
  if (!description) return move(dialog, [{ key: 'too-short' }]);
  return toPhotos(dialog, description, dialog.photos, []);
}

function toPhotos(
  dialog: Extract<Dialog, { step: 'describe' }>,
  description: string,
  photos: readonly MediaRef[],
  before: Move['replies'],
): Move {
  return move({ step: 'photos', siteId: dialog.siteId, category: dialog.category, description, photos }, [
    ...before,
    { key: 'send-photos' },
  ]);
}

function photos(
  dialog: Extract<Dialog, { step: 'photos' }>,
  message: Exclude<UserMessage, { kind: 'other' | 'location' }>,
): Move {
  if (message.kind === 'image') {
    if (dialog.photos.length >= PHOTO_LIMIT) return move(dialog, [{ key: 'too-many-photos', max: PHOTO_LIMIT }]);
    const next = addPhoto(dialog.photos, message.media);
    return move({ ...dialog, photos: next }, [{ key: 'photo-received', count: next.length }]);
  }
  if (!is(message.text, 'done')) return move(dialog, [{ key: 'send-photos' }]);
  return move(dialog, [], {
    kind: 'create-order',
    siteId: dialog.siteId,
    category: dialog.category,
    title: titleFrom(dialog.description),
    description: dialog.description,
    photos: dialog.photos,
  });
}

export function addPhoto(photos: readonly MediaRef[], media: MediaRef): readonly MediaRef[] {
  return photos.length >= PHOTO_LIMIT ? photos : [...photos, media];
}

export function clientResult(result: Result): Move | undefined {
  switch (result.kind) {
    case 'sites':
      if (!result.sites.length) return move(IDLE, [{ key: 'no-sites' }]);
      return move({ step: 'choose-site', sites: result.sites }, [{ key: 'choose-site', sites: result.sites }]);
    case 'order-created':
      return move(IDLE, [
        {
          key: 'order-created',
          orderId: result.orderId,
          photosStored: result.photosStored,
          photosFailed: result.photosFailed,
        },
      ]);
    default:
      return undefined;
  }
}
