import type { Sandbox } from '../sandbox/driver.js';
import { createFrameParser, type Frame } from './frames.js';

/**
 * A started sandbox and its launcher's frame stream. The stream outlives one submission in the
 * `owner` and `jail` modes, so frames go to whichever job holds the session now; a `z` frame
 * (the launcher wiped the sandbox and waits for the next submission) resolves `nextReady()`,
 * and a `p` frame (the next submission's prepared interpreter is loaded) sets `preparedReady()`.
 */
export interface LauncherSession {
  sandbox: Sandbox;
  /** Frames other than `z` go here; a parse error is passed as an Error. */
  onFrame(handler: ((f: Frame | Error) => void) | undefined): void;
  /** Resolves true once the launcher sent `z` after the current submission, false if it ended. */
  nextReady(timeoutMs: number): Promise<boolean>;
  /** Bytes the launcher wrote to its stderr (its own faults), last 2000 characters. */
  launcherStderr(): string;
  /** Submissions served so far. */
  runs: number;
  /** The prepared interpreter of the next submission is loaded (false without one). */
  preparedReady(): boolean;
  /**
   * The language whose interpreter the launcher prepares before each submission (the sandbox
   * was made with its MUSCODE_PREPARE); a submission in it is sent with an A frame.
   */
  prepared: string | undefined;
  createdAt: number;
  alive: boolean;
}

export function createLauncherSession(sandbox: Sandbox): LauncherSession {
  let handler: ((f: Frame | Error) => void) | undefined;
  let readyCount = 0;
  let waiter: (() => void) | undefined;
  let stderr = '';
  let broken = false;
  // The submission number of the last `p` frame: it speaks of that submission only.
  let preparedSeq = -1;

  const parse = createFrameParser((f) => {
    if (f.type === 'z') {
      readyCount++;
      waiter?.();
      return;
    }
    if (f.type === 'p') {
      preparedSeq = Number(f.payload.toString('latin1'));
      return;
    }
    handler?.(f);
  });
  sandbox.stdout.on('data', (chunk: Buffer) => {
    if (broken) return;
    try {
      parse(chunk);
    } catch (err) {
      broken = true;
      session.alive = false;
      handler?.(err as Error);
    }
  });
  sandbox.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });

  const session: LauncherSession = {
    sandbox,
    onFrame(h) {
      handler = h;
    },
    async nextReady(timeoutMs) {
      const want = session.runs;
      if (readyCount >= want) return session.alive;
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        waiter = () => {
          if (readyCount >= want) {
            clearTimeout(timer);
            resolve(true);
          }
        };
        void sandbox.ended.then(() => {
          clearTimeout(timer);
          resolve(readyCount >= want);
        });
      });
      waiter = undefined;
      return ok && session.alive;
    },
    launcherStderr: () => stderr,
    preparedReady: () => session.prepared !== undefined && preparedSeq === session.runs,
    runs: 0,
    prepared: undefined,
    createdAt: Date.now(),
    alive: true,
  };
  void sandbox.ended.then(() => {
    session.alive = false;
  });
  return session;
}
