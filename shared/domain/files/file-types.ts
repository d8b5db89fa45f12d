/**
 * What an uploaded file may be (DESIGN 4.3): PDF, JPEG, PNG, HEIC or WebP, at most 20 MB. The browser
 * declares a type and a size when it asks for an upload URL; neither is trusted. When the upload is
 * confirmed, the stored size and the real type, recognised from the first bytes, must match what was
 * declared.
 */
export const ALLOWED_FILE_TYPES = ['application/pdf', 'image/jpeg', 'image/png', 'image/heic', 'image/webp'] as const;
export type AllowedFileType = (typeof ALLOWED_FILE_TYPES)[number];

export const MAX_FILE_BYTES = 20 * 1024 * 1024;

/** How many leading bytes `detectFileType` needs at most; `FileStore.inspect` reads 64. */
export const FILE_HEAD_BYTES = 64;

export function isAllowedFileType(s: string): s is AllowedFileType {
  return (ALLOWED_FILE_TYPES as readonly string[]).includes(s);
}

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

function startsWith(head: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  return head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);
}

function fourCC(head: Uint8Array, offset: number): string {
  return String.fromCharCode(...head.subarray(offset, offset + 4));
}

// HEVC-coded HEIF brands: any of them, as major or compatible brand, makes the file HEIC.
const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis']);
// Generic HEIF brands (image, sequence). AVIF files carry them too, so they count only as the major
// brand and only when no AV1 brand says the file is really an AVIF.
const GENERIC_HEIF_BRANDS = new Set(['mif1', 'msf1']);
const AV1_BRANDS = new Set(['avif', 'avis']);

/** ISO-BMFF: a `ftyp` box first: size (4), 'ftyp', major brand (4), minor version (4), compatible brands (4 each). */
function isHeic(head: Uint8Array): boolean {
  if (head.length < 12 || fourCC(head, 4) !== 'ftyp') return false;
  const boxSize = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  const major = fourCC(head, 8);
  const compatible: string[] = [];
  // Only the brands inside the box and inside the head we were given.
  for (let at = 16; at + 4 <= Math.min(boxSize, head.length); at += 4) compatible.push(fourCC(head, at));
  const brands = [major, ...compatible];
  if (brands.some((b) => HEVC_BRANDS.has(b))) return true;
  return GENERIC_HEIF_BRANDS.has(major) && !brands.some((b) => AV1_BRANDS.has(b));
}

/**
 * The real type of a file from its first bytes (magic numbers), or undefined when it is none of the
 * allowed types. The declared Content-Type is never consulted: it is whatever the uploader said.
 */
export function detectFileType(head: Uint8Array): AllowedFileType | undefined {
  if (startsWith(head, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (isHeic(head)) return 'image/heic';
  return undefined;
}

/** Lower-case, without parameters: `Image/PNG; x=y` declares `image/png`. */
function mediaType(contentType: string): string {
  return contentType.split(';', 1)[0]!.trim().toLowerCase();
}

export type UploadCheck = { ok: true; type: AllowedFileType } | { ok: false; reason: string };

/**
 * Whether what was stored is what was declared and is allowed. `actual` is what the store reports
 * (`FileStore.inspect`); when it carries the blob's stored `contentType` (the header downloads will be
 * served with), that must be the declared type too.
 */
export function checkUpload(
  declared: { contentType: string; size: number },
  actual: { size: number; head: Uint8Array; contentType?: string },
): UploadCheck {
  const declaredType = mediaType(declared.contentType);
  if (actual.size === 0) return { ok: false, reason: 'the file is empty' };
  if (actual.size > MAX_FILE_BYTES)
    return { ok: false, reason: `the file is ${actual.size} bytes; at most ${MAX_FILE_BYTES} bytes (20 MB) are allowed` };
  if (actual.size !== declared.size)
    return { ok: false, reason: `the file is ${actual.size} bytes, not the declared ${declared.size}` };
  const type = detectFileType(actual.head);
  if (!type) return { ok: false, reason: 'the file is not a PDF, JPEG, PNG, HEIC or WebP' };
  if (type !== declaredType) return { ok: false, reason: `the file is ${type}, not the declared ${declared.contentType}` };
  if (actual.contentType !== undefined && mediaType(actual.contentType) !== declaredType)
    return { ok: false, reason: `the file was stored as ${actual.contentType}, not the declared ${declared.contentType}` };
  return { ok: true, type };
}
