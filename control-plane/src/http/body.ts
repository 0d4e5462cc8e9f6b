import { errors } from '../errors.js';

/** The raw bytes of a body, refusing more than `limit` before it is all read (413). */
export async function readBodyBytes(request: Request, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw errors.payloadTooLarge(limit);
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw errors.payloadTooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a JSON body, refusing more than `limit` bytes before it is all read (a client cannot
 * make us buffer an unbounded body by leaving out Content-Length).
 */
export async function readJsonBody(
  request: Request,
  limit: number,
  opts: { typed?: boolean } = {},
): Promise<unknown> {
  const bytes = await readBodyBytes(request, limit);
  if (bytes.length === 0) return undefined;
  // A body with no Content-Type at all is refused where the prefix asks for one (/api/v1).
  if (opts.typed === false) throw errors.unsupportedMediaType();
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw errors.validation('The request body is not valid UTF-8.', { field: '(body)' });
  }
  if (nestingDepth(text) > maxJsonDepth) {
    throw errors.validation(`The JSON body is nested deeper than ${maxJsonDepth} levels.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw errors.invalidJson();
  }
  checkStrings(value, '');
  return value;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Why a string cannot be stored as sent, or null: a NUL (PostgreSQL text cannot hold it, and
 * an argv entry would be cut at it) or a lone UTF-16 surrogate (no UTF-8 form: it would be
 * silently turned into U+FFFD). One rule for every string field: such a string is refused.
 */
export function badString(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain a NUL character (U+0000)';
  if (loneSurrogate.test(s)) return 'must not contain a lone surrogate (not valid Unicode)';
  return null;
}

/** Throws a 400 naming the first field (dotted path, as validation errors name them) that is bad. */
function checkStrings(value: unknown, path: string): void {
  if (typeof value === 'string') {
    const why = badString(value);
    if (why) {
      const field = path || '(body)';
      throw errors.validation(`${field}: ${why}.`, { field, issues: [{ field, message: why }] });
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkStrings(v, path ? `${path}.${i}` : String(i)));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      checkStrings(k, path ? `${path}.${k}` : k);
      checkStrings(v, path ? `${path}.${k}` : k);
    }
  }
}

/**
 * Query parameters: refused like body strings (NUL, invalid UTF-8, which is where a lone
 * surrogate ends up when percent-encoded, or a bad percent escape).
 */
export function checkQuery(url: string): void {
  const q = url.indexOf('?');
  if (q < 0) return;
  for (const part of url.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    const key = decodeComponent(rawKey) ?? rawKey;
    for (const raw of [rawKey, rawValue]) {
      const decoded = decodeComponent(raw);
      const why = decoded === null ? 'must be valid percent-encoded UTF-8' : badString(decoded);
      if (why) {
        throw errors.validation(`${key}: ${why}.`, { field: key, issues: [{ field: key, message: why }] });
      }
    }
  }
}

function decodeComponent(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** No request of the API nests deeper than a few levels; this bounds the work of validation. */
export const maxJsonDepth = 32;

/** The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
