/** Real file bytes for upload tests, and the client side of a SAS upload. */

/** A minimal but real PDF, different per label so downloads can be told apart. */
export const pdf = (label: string) =>
  Buffer.from(`%PDF-1.4\n% ${label}\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n`);

/** The start of a PNG: its signature and IHDR, enough for the server's real-type check. */
export const PNG = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1,
]);

/** PUTs the bytes to the SAS URL the API handed out, with the headers it said to send. */
export async function putFile(
  upload: { url: string; method: string; headers: Record<string, string> },
  bytes: Buffer,
): Promise<number> {
  const res = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
  await res.arrayBuffer();
  return res.status;
}
