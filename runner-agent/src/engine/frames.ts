/**
 * The launcher's framing (sandbox-images/launcher/PROTOCOL.md): one type byte, a big-endian
 * u32 length, then the payload, in both directions.
 */
export const maxFramePayload = 64 * 1024 * 1024;

export function frame(type: string, payload: Uint8Array | string = new Uint8Array()): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const header = Buffer.alloc(5);
  header.write(type, 0, 1, 'latin1');
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

/** argv as the launcher wants it: each argument NUL-terminated. */
export function argvPayload(argv: string[]): Buffer {
  return Buffer.concat(argv.map((a) => Buffer.from(`${a}\0`, 'utf8')));
}

/** A file frame's payload: the path, NUL, the bytes (text as UTF-8, or given as bytes). */
export function filePayload(path: string, content: string | Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`${path}\0`, 'utf8'),
    typeof content === 'string' ? Buffer.from(content, 'utf8') : content,
  ]);
}

export function limitsPayload(limits: Record<string, number>): string {
  return Object.entries(limits)
    .map(([k, v]) => `${k}=${Math.round(v)}\n`)
    .join('');
}

export interface Frame {
  type: string;
  payload: Buffer;
}

/** Splits a byte stream into frames; feed it chunks as they arrive. */
export function createFrameParser(onFrame: (f: Frame) => void) {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk: Buffer): void => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 5) {
      const length = buffered.readUInt32BE(1);
      if (length > maxFramePayload) throw new Error(`launcher frame too large: ${length}`);
      if (buffered.length < 5 + length) break;
      onFrame({ type: String.fromCharCode(buffered[0]!), payload: buffered.subarray(5, 5 + length) });
      buffered = buffered.subarray(5 + length);
    }
  };
}

export interface StepResult {
  step: 'compile' | 'run';
  exit: number;
  signal: number;
  cpuMs: number;
  wallMs: number;
  maxRssKb: number;
  timeout: boolean;
  cpuLimit: boolean;
  outputLimit: boolean;
  cancelled: boolean;
  /** The run step was the interpreter prepared ahead (protocol 3; absent before: false). */
  prepared: boolean;
}

/** Parses an `x` frame: `step=run exit=0 signal=0 cpu_ms=… wall_ms=… maxrss_kb=… timeout=0 …`. */
export function parseStepResult(payload: Buffer): StepResult {
  const kv = new Map(
    payload
      .toString('latin1')
      .trim()
      .split(' ')
      .map((pair) => {
        const i = pair.indexOf('=');
        return [pair.slice(0, i), pair.slice(i + 1)] as const;
      }),
  );
  const num = (k: string) => {
    const v = Number(kv.get(k));
    if (!Number.isFinite(v)) throw new Error(`launcher result without ${k}`);
    return v;
  };
  const step = kv.get('step');
  if (step !== 'compile' && step !== 'run') throw new Error(`launcher result with step ${String(step)}`);
  return {
    step,
    exit: num('exit'),
    signal: num('signal'),
    // Never negative on the wire (uint32): an older launcher could report wall_ms < 0 when it
    // reaped a killed step in the same loop turn.
    cpuMs: Math.max(0, num('cpu_ms')),
    wallMs: Math.max(0, num('wall_ms')),
    maxRssKb: Math.max(0, num('maxrss_kb')),
    timeout: num('timeout') === 1,
    cpuLimit: num('cpu_limit') === 1,
    outputLimit: num('output_limit') === 1,
    cancelled: num('cancelled') === 1,
    prepared: kv.get('prepared') === '1',
  };
}
