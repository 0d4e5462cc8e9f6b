import {
  followControl as followControlStream,
  type ControlMessage,
  type Logger,
  type StreamFollower,
} from '@muscode/common';
import type { ExecutionControl } from './run.js';

/**
 * Follows an execution's control stream (stdin, stdin_close, cancel) while it runs, from the
 * stream's start: a cancel sent while the job was still queued is seen at once. Every job's
 * control stream is read by the agent's one stream follower (one connection for all of them).
 */
export function followControl(opts: {
  follower: StreamFollower;
  key: string;
  log: Logger;
  onMessage: (m: ControlMessage) => void;
}): { stop(): void } {
  return followControlStream(
    opts.follower,
    opts.key,
    (m) => {
      try {
        opts.onMessage(m);
      } catch (err) {
        opts.log.warn({ err: (err as Error).message }, 'control message failed');
      }
    },
    (entryId) => opts.log.warn({ entryId }, 'bad control message ignored'),
  );
}

/**
 * A job's control stream, followed from before its submission runs: messages that arrive
 * before the run hands out its control (a cancel sent while queued) wait and are applied then.
 */
export function followJobControl(opts: { follower: StreamFollower; key: string; log: Logger }) {
  let control: ExecutionControl | undefined;
  const early: (() => void)[] = [];
  const follower = followControl({
    ...opts,
    onMessage: (m) => {
      const act = () => {
        if (m.type === 'cancel') control?.cancel();
        else if (m.type === 'stdin') control?.input(Buffer.from(m.data, 'base64'));
        else control?.closeInput();
      };
      if (control) act();
      else early.push(act);
    },
  });
  return {
    attach(c: ExecutionControl): void {
      control = c;
      for (const act of early.splice(0)) act();
    },
    stop: () => follower.stop(),
  };
}
