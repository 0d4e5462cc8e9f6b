/**
 * The content type of an artifact: by its extension, else by its first bytes (PNG, JPEG, GIF,
 * PDF, zip, gzip), else text/plain for valid UTF-8 and application/octet-stream otherwise.
 * Downloads are sent as attachments with `nosniff`, so a type never makes a browser run it.
 */
const byExtension: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  webp: 'image/webp',
  bmp: 'image/bmp',
  pdf: 'application/pdf',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  json: 'application/json',
  xml: 'application/xml',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  wasm: 'application/wasm',
};

const magic: [number[], string][] = [
  [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/png'],
  [[0xff, 0xd8, 0xff], 'image/jpeg'],
  [[0x47, 0x49, 0x46, 0x38], 'image/gif'],
  [[0x25, 0x50, 0x44, 0x46, 0x2d], 'application/pdf'],
  [[0x50, 0x4b, 0x03, 0x04], 'application/zip'],
  [[0x1f, 0x8b], 'application/gzip'],
];

export function contentTypeOf(name: string, head: Buffer): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  const known = dot > 0 ? byExtension[base.slice(dot + 1).toLowerCase()] : undefined;
  if (known) return known;
  for (const [bytes, type] of magic) {
    if (head.length >= bytes.length && bytes.every((b, i) => head[i] === b)) return type;
  }
  try {
    // `stream`: a character cut at the 4 KiB mark is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, 4096), { stream: true });
    return head.includes(0) ? 'application/octet-stream' : 'text/plain';
  } catch {
    return 'application/octet-stream';
  }
}
