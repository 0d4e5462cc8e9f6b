import { isFinalStatus } from '../statuses.js';
import {
  decodeControl,
  decodeEvent,
  type ControlMessage,
  type ExecutionEvent,
  type ExecutionResultView,
} from './codec.js';
import type { StreamFollower } from './follower.js';
import type { ExecStreamKeys } from './keys.js';

/** An event with the id of its stream entry (a cursor to resume from). */
export interface StreamEvent {
  id: string;
  event: ExecutionEvent;
}

/**
 * Calls `onEvents` with the decoded events of an execution after stream id `afterId` ('0' =
 * all), those there first, then as they come, until `stop()`. Entries that are not events are
 * skipped.
 */
export function followEvents(
  follower: StreamFollower,
  keys: Pick<ExecStreamKeys, 'events'>,
  executionId: string,
  afterId: string,
  onEvents: (events: StreamEvent[]) => void,
): { stop(): void } {
  return follower.follow(keys.events(executionId), afterId, (entries) => {
    const events: StreamEvent[] = [];
    for (const { id, fields } of entries) {
      const event = decodeEvent(fields);
      if (event) events.push({ id, event });
    }
    if (events.length > 0) onEvents(events);
  });
}

/**
 * Follows an execution's control stream `key` (execStreamKeys(prefix).control(id): stdin,
 * stdin_close, cancel) from its start: a cancel sent while the job was still queued is seen at
 * once. Entries that are not control messages go to `onBad` and are otherwise ignored.
 */
export function followControl(
  follower: StreamFollower,
  key: string,
  onMessage: (message: ControlMessage) => void,
  onBad?: (entryId: string) => void,
): { stop(): void } {
  return follower.follow(key, '0', (entries) => {
    for (const { id, fields } of entries) {
      const message = decodeControl(fields);
      if (message) onMessage(message);
      else onBad?.(id);
    }
  });
}

/** Why a reader reads the execution's row. */
export type RowReason =
  /** A result event came without the execution's view (too large, an older writer). */
  | 'result'
  /** No event for `quietMs`: the execution may have been made final without a result event. */
  | 'quiet';

export interface FollowExecutionOptions<V extends { status: string }> {
  executionId: string;
  /**
   * Starts the execution's live events (in seq order, each once; a source may filter by seq or
   * stream id) and returns the function that stops them.
   */
  subscribe: (onEvent: (event: ExecutionEvent) => void) => () => void;
  /** Every event as it comes, the result event included (before `onResult`). */
  onEvent: (event: ExecutionEvent) => void;
  /**
   * The execution as stored (its row, through whatever the reader may use: the database, the
   * API), or null when it could not be read (the reader has said why to its client).
   */
  readRow: (why: RowReason) => Promise<V | null>;
  /**
   * The final execution, once: the result event's view, or the row. `seq` is the result
   * event's, 0 when the row was found final without one.
   */
  onResult: (view: ExecutionResultView | V, seq: number) => void;
  /**
   * Following ended by itself (not by `stop()`): after `onResult`, after a result event whose
   * row could not be read, or with the error `readRow` failed with.
   */
  onEnd?: (err?: unknown) => void;
  /** Time without events after which the row is read (and again after each such read). */
  quietMs: number;
  /** Wait between reads of a row not yet final after a result event (default 100 ms, 20 tries). */
  settleMs?: number;
}

/**
 * Follows one execution to its result: the one place that knows a result event may lack the
 * view (then the row is read, and read again for a moment while it is not final: the row is
 * written before the event, should a writer ever order them the other way), and that an
 * execution may be made final with no result event at all (then the row, read when the stream
 * has been quiet for `quietMs`, says so). The row is read through a callback, so this module
 * needs neither SQL nor HTTP.
 */
export function followExecution<V extends { status: string }>(
  opts: FollowExecutionOptions<V>,
): { stop(): void } {
  const settleMs = opts.settleMs ?? 100;
  let over = false;
  let resultSeen = false;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  /** Stops the source; null until `subscribe` has returned (an event may come before). */
  let unsubscribe: (() => void) | null = null;
  let released = false;

  const release = () => {
    if (quiet) clearTimeout(quiet);
    released = true;
    unsubscribe?.();
    unsubscribe = null;
  };
  const end = (err?: unknown) => {
    if (over) return;
    over = true;
    release();
    opts.onEnd?.(err);
  };
  const armQuiet = () => {
    if (quiet) clearTimeout(quiet);
    if (over || resultSeen || !Number.isFinite(opts.quietMs)) return;
    quiet = setTimeout(() => {
      quiet = undefined;
      opts.readRow('quiet').then(
        (row) => {
          if (over || resultSeen) return;
          if (row && isFinalStatus(row.status)) {
            resultSeen = true;
            opts.onResult(row, 0);
            end();
          } else armQuiet();
        },
        (err: unknown) => {
          if (!over && !resultSeen) end(err);
        },
      );
    }, opts.quietMs);
    quiet.unref?.();
  };
  const lookUpResult = async (seq: number) => {
    try {
      let row = await opts.readRow('result');
      for (let i = 0; row && !isFinalStatus(row.status) && i < 20 && !over; i++) {
        await new Promise((r) => setTimeout(r, settleMs));
        row = await opts.readRow('result');
      }
      if (over) return;
      if (row) opts.onResult(row, seq);
      end();
    } catch (err) {
      end(err);
    }
  };

  const stopSource = opts.subscribe((event) => {
    if (over || resultSeen) return;
    armQuiet();
    opts.onEvent(event);
    if (event.type !== 'result') return;
    resultSeen = true;
    if (quiet) clearTimeout(quiet);
    // A view of another execution would be a writer's bug: the row is the truth then.
    if (event.view?.executionId === opts.executionId) {
      opts.onResult(event.view, event.seq);
      end();
    } else {
      // The subscription stays until the result is out (a draining gateway waits for it).
      void lookUpResult(event.seq);
    }
  });
  if (released) stopSource();
  else unsubscribe = stopSource;
  armQuiet();

  return {
    stop() {
      if (over) return;
      over = true;
      release();
    },
  };
}
