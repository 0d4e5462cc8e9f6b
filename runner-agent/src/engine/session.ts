import type { Sandbox } from '../sandbox/docker.js';
import { createFrameParser, type Frame } from './frames.js';

/**
 * A started sandbox and its launcher's frame stream. The stream outlives one submission in the
 * `owner` and `jail` modes, so frames go to whichever job holds the session now; a `z` frame
 * (the launcher wiped the sandbox and waits for the next submission) resolves `nextReady()`.
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
  createdAt: number;
  alive: boolean;
}

export function createLauncherSession(sandbox: Sandbox): LauncherSession {
  let handler: ((f: Frame | Error) => void) | undefined;
  let readyCount = 0;
  let waiter: (() => void) | undefined;
  let stderr = '';
  let broken = false;

  const parse = createFrameParser((f) => {
    if (f.type === 'z') {
      readyCount++;
      waiter?.();
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
    runs: 0,
    createdAt: Date.now(),
    alive: true,
  };
  void sandbox.ended.then(() => {
    session.alive = false;
  });
  return session;
}
