import { controlField, type ControlMessage, type Logger, type StreamFollower } from '@muscode/common';

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
  return opts.follower.follow(opts.key, '0', (entries) => {
    for (const { fields } of entries) {
      const json = fields[fields.indexOf(controlField) + 1];
      if (!json) continue;
      try {
        opts.onMessage(JSON.parse(json) as ControlMessage);
      } catch (err) {
        opts.log.warn({ err: (err as Error).message }, 'bad control message ignored');
      }
    }
  });
}
