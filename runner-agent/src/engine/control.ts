import type { Redis } from 'ioredis';
import { controlField, type ControlMessage, type Logger } from '@muscode/common';

/**
 * Follows an execution's control stream (stdin, stdin_close, cancel) while it runs, from the
 * stream's start: a cancel sent while the job was still queued is seen at once.
 */
export function followControl(opts: {
  redis: Redis;
  key: string;
  log: Logger;
  onMessage: (m: ControlMessage) => void;
}): { stop(): void } {
  const conn = opts.redis.duplicate();
  let stopped = false;
  void (async () => {
    let after = '0';
    while (!stopped) {
      try {
        const reply = await conn.xread('COUNT', 100, 'BLOCK', 1000, 'STREAMS', opts.key, after);
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            after = id;
            const json = fields[fields.indexOf(controlField) + 1];
            if (!json) continue;
            try {
              opts.onMessage(JSON.parse(json) as ControlMessage);
            } catch (err) {
              opts.log.warn({ err: (err as Error).message }, 'bad control message ignored');
            }
          }
        }
      } catch (err) {
        if (stopped) return;
        opts.log.warn({ err: (err as Error).message }, 'control stream read failed');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  })();
  return {
    stop() {
      stopped = true;
      conn.disconnect();
    },
  };
}
