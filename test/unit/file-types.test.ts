import { describe, expect, it } from 'vitest';
import {
  ALLOWED_FILE_TYPES,
  checkUpload,
  detectFileType,
  isAllowedFileType,
  MAX_FILE_BYTES,
} from '../../shared/domain/files/file-types';

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? Array.from(p, (c) => c.charCodeAt(0)) : p)));
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
/** An ISO-BMFF `ftyp` box: size, 'ftyp', major brand, minor version, compatible brands. */
const ftyp = (major: string, ...compatible: string[]) =>
  bytes(u32(16 + 4 * compatible.length), 'ftyp', major, [0, 0, 0, 0], ...compatible);

// The first bytes of real files of each kind.
const SAMPLES = {
  'application/pdf': bytes('%PDF-1.7\n%', [0xe2, 0xe3, 0xcf, 0xd3], '\n1 0 obj\n'),
  'image/jpeg': bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF', [0x00, 0x01, 0x01]),
  'image/png': bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d], 'IHDR'),
  // An iPhone photo: major brand heic, then mif1, MiHE, MiPr, miaf, MiHB, heic; then the meta box.
  'image/heic': bytes(
    u32(44),
    'ftyp',
    'heic',
    [0, 0, 0, 0],
    'mif1',
    'MiHE',
    'MiPr',
    'miaf',
    'MiHB',
    'heic',
    [0, 0, 0x0c, 0x2d],
    'meta',
  ),
  'image/webp': bytes('RIFF', [0x24, 0x5a, 0x00, 0x00], 'WEBPVP8 ', [0x18, 0x5a, 0x00, 0x00]),
} as const;

describe('detectFileType', () => {
  it.each(ALLOWED_FILE_TYPES)('recognises %s by its magic bytes', (type) => {
    expect(detectFileType(SAMPLES[type])).toBe(type);
  });

  it('recognises HEIC by a compatible brand when the major brand is generic', () => {
    expect(detectFileType(ftyp('mif1', 'heic'))).toBe('image/heic');
    expect(detectFileType(ftyp('isom', 'mif1', 'heix'))).toBe('image/heic');
    expect(detectFileType(ftyp('msf1', 'iso8'))).toBe('image/heic');
    for (const brand of ['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']) {
      expect(detectFileType(ftyp(brand)), brand).toBe('image/heic');
    }
  });

  it('does not take other ISO-BMFF files for HEIC', () => {
    expect(detectFileType(ftyp('isom', 'iso2', 'avc1', 'mp41'))).toBeUndefined(); // MP4 video
    expect(detectFileType(ftyp('avif', 'mif1', 'miaf'))).toBeUndefined(); // AVIF, which shares mif1
    expect(detectFileType(ftyp('mif1', 'avif'))).toBeUndefined();
    expect(detectFileType(ftyp('qt  '))).toBeUndefined(); // QuickTime
  });

  it('reads compatible brands only inside the ftyp box and the head given', () => {
    // A box of 16 bytes has no compatible brands; 'heic' after it belongs to the next box.
    expect(detectFileType(bytes(u32(16), 'ftyp', 'isom', [0, 0, 0, 0], 'heic'))).toBeUndefined();
    // Cut inside a brand: the partial brand is not read.
    expect(detectFileType(ftyp('isom', 'heic').subarray(0, 18))).toBeUndefined();
  });

  it('recognises nothing else', () => {
    expect(detectFileType(new Uint8Array())).toBeUndefined();
    expect(detectFileType(bytes('GIF89a', [1, 0, 1, 0]))).toBeUndefined();
    expect(detectFileType(bytes('<!DOCTYPE html><html>'))).toBeUndefined();
    expect(detectFileType(bytes('PK', [3, 4, 20, 0]))).toBeUndefined(); // zip, docx
    expect(detectFileType(bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '))).toBeUndefined();
    expect(detectFileType(bytes(' %PDF-1.7'))).toBeUndefined(); // not at the start
    expect(detectFileType(bytes('%PDF'))).toBeUndefined(); // truncated magic
    expect(detectFileType(bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x00]))).toBeUndefined(); // last byte wrong
    expect(detectFileType(bytes([0xff, 0xd8]))).toBeUndefined();
    expect(detectFileType(bytes(u32(16), 'moov', 'heic', [0, 0, 0, 0]))).toBeUndefined();
  });
});

describe('isAllowedFileType', () => {
  it('accepts exactly the five types', () => {
    for (const t of ALLOWED_FILE_TYPES) expect(isAllowedFileType(t)).toBe(true);
    expect(isAllowedFileType('image/gif')).toBe(false);
    expect(isAllowedFileType('text/html')).toBe(false);
    expect(isAllowedFileType('IMAGE/PNG')).toBe(false);
    expect(isAllowedFileType('')).toBe(false);
  });
});

describe('checkUpload', () => {
  const png = SAMPLES['image/png'];
  const declared = { contentType: 'image/png', size: 1234 };

  it('accepts an allowed file of the declared type and size', () => {
    expect(checkUpload(declared, { size: 1234, head: png })).toEqual({ ok: true, type: 'image/png' });
    expect(checkUpload(declared, { size: 1234, head: png, contentType: 'image/png' })).toEqual({ ok: true, type: 'image/png' });
    expect(
      checkUpload(
        { contentType: 'application/pdf', size: MAX_FILE_BYTES },
        { size: MAX_FILE_BYTES, head: SAMPLES['application/pdf'] },
      ),
    ).toEqual({ ok: true, type: 'application/pdf' });
  });

  it('compares declared types without case or parameters', () => {
    expect(checkUpload({ contentType: 'Image/PNG; charset=binary', size: 1234 }, { size: 1234, head: png })).toEqual({
      ok: true,
      type: 'image/png',
    });
  });

  it('rejects an empty file', () => {
    expect(checkUpload({ contentType: 'image/png', size: 0 }, { size: 0, head: new Uint8Array() })).toEqual({
      ok: false,
      reason: 'the file is empty',
    });
  });

  it('rejects a file over 20 MB, even when declared so', () => {
    const size = MAX_FILE_BYTES + 1;
    expect(checkUpload({ contentType: 'image/png', size }, { size, head: png })).toEqual({
      ok: false,
      reason: `the file is ${size} bytes; at most 20971520 bytes (20 MB) are allowed`,
    });
  });

  it('rejects a size other than the declared one', () => {
    expect(checkUpload(declared, { size: 1235, head: png })).toEqual({
      ok: false,
      reason: 'the file is 1235 bytes, not the declared 1234',
    });
  });

  it('rejects a file of no allowed type, whatever it was declared as', () => {
    expect(checkUpload(declared, { size: 1234, head: bytes('<html><script>') })).toEqual({
      ok: false,
      reason: 'the file is not a PDF, JPEG, PNG, HEIC or WebP',
    });
  });

  it('rejects an allowed type that is not the declared one', () => {
    expect(checkUpload({ contentType: 'application/pdf', size: 1234 }, { size: 1234, head: png })).toEqual({
      ok: false,
      reason: 'the file is image/png, not the declared application/pdf',
    });
    expect(checkUpload({ contentType: 'image/gif', size: 1234 }, { size: 1234, head: png })).toMatchObject({ ok: false });
  });

  it('rejects a blob stored with another Content-Type than declared (downloads are served with it)', () => {
    expect(checkUpload(declared, { size: 1234, head: png, contentType: 'text/html' })).toEqual({
      ok: false,
      reason: 'the file was stored as text/html, not the declared image/png',
    });
    expect(checkUpload(declared, { size: 1234, head: png, contentType: 'application/octet-stream' })).toMatchObject({
      ok: false,
    });
  });
});
