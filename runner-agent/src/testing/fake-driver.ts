import { PassThrough, Writable } from 'node:stream';
import { createFrameParser, frame, type Frame } from '../engine/frames.js';
import type { Sandbox, SandboxDriver, SandboxExit, SandboxSpec } from '../sandbox/driver.js';

/**
 * A SandboxDriver for unit tests: no container runtime, a scripted launcher. It records the
 * specs it was asked for and what became of each sandbox; each submission's setup frames (up
 * to `G`) go to `launcher`, which answers through `io` as the real launcher would.
 */
export interface FakeLauncherIo {
  /** Sends a frame to the agent. */
  send(type: string, payload?: Buffer | string): void;
  /** Sends the step's result line (`x`), defaults overridden by `fields`. */
  result(fields: Record<string, string | number>): void;
  /** Ends the sandbox (as the launcher exiting, or the sandbox dying). */
  end(): void;
  /** Frames the agent sends after `G` (stdin, end of input, cancel). */
  onFrame(handler: (f: Frame) => void): void;
}

export type FakeLauncher = (setup: Frame[], io: FakeLauncherIo, spec: SandboxSpec) => void;

export interface FakeSandboxRecord {
  spec: SandboxSpec;
  sandbox: Sandbox;
  killed: boolean;
  removed: boolean;
  /** Every frame the agent wrote to the launcher. */
  received: Frame[];
}

/** Prints `hello` and exits 0; in owner and jail mode wipes (`z`) and waits for the next one. */
export const helloLauncher: FakeLauncher = (_setup, io, spec) => {
  io.send('o', 'hello\n');
  io.result({});
  if (spec.env.MUSCODE_LAUNCHER_MODE === 'sandbox') io.end();
  else io.send('z');
};

export function createFakeDriver(opts: {
  launcher?: FakeLauncher;
  /** Makes a start fail with this error (once per call that returns one). */
  startError?: (spec: SandboxSpec) => Error | undefined;
  /** Makes the launcher's stdin throw on write (a broken attach stream). */
  brokenStdin?: boolean;
  exit?: SandboxExit;
}) {
  const sandboxes: FakeSandboxRecord[] = [];
  const launcher = opts.launcher ?? helloLauncher;
  let next = 0;

  function start(spec: SandboxSpec): Sandbox {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let endIt: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      endIt = () => {
        if (!stdout.writableEnded) stdout.end();
        resolve();
      };
    });
    let after: ((f: Frame) => void) | undefined;
    let setup: Frame[] = [];
    const record: Omit<FakeSandboxRecord, 'sandbox'> = { spec, killed: false, removed: false, received: [] };
    const io: FakeLauncherIo = {
      send: (type, payload) => {
        if (!stdout.writableEnded) stdout.write(frame(type, payload));
      },
      result: (fields) => {
        const all = {
          step: 'run',
          exit: 0,
          signal: 0,
          cpu_ms: 5,
          wall_ms: 7,
          maxrss_kb: 1024,
          timeout: 0,
          cpu_limit: 0,
          output_limit: 0,
          cancelled: 0,
          ...fields,
        };
        io.send(
          'x',
          Object.entries(all)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
        );
      },
      end: () => endIt(),
      onFrame: (h) => {
        after = h;
      },
    };
    const parse = createFrameParser((f) => {
      record.received.push({ type: f.type, payload: Buffer.from(f.payload) });
      if (f.type === 'G') {
        const frames = setup;
        setup = [];
        after = undefined;
        launcher(frames, io, spec);
      } else if (after) after(f);
      else setup.push({ type: f.type, payload: Buffer.from(f.payload) });
    });
    const stdin = new Writable({
      write(chunk: Buffer, _enc, done) {
        parse(chunk);
        done();
      },
      final(done) {
        endIt();
        done();
      },
    });
    if (opts.brokenStdin) {
      stdin.write = () => {
        throw new Error('attach stream broken');
      };
    }
    const sandbox: Sandbox = {
      id: `fake-${++next}`,
      stdin,
      stdout,
      stderr,
      ended,
      exit: async () => opts.exit ?? { exitCode: 0, oomKilled: false },
      kill: async () => {
        record.killed = true;
        endIt();
      },
      remove: async () => {
        record.removed = true;
        endIt();
      },
    };
    sandboxes.push(Object.assign(record, { sandbox }));
    return sandbox;
  }

  const driver: SandboxDriver = {
    async start(spec) {
      const err = opts.startError?.(spec);
      if (err) throw err;
      return start(spec);
    },
    reap: async () => 0,
    reapOrphans: async () => 0,
    images: async () => new Map(),
    ping: async () => undefined,
  };
  return { driver, sandboxes };
}
