/**
 * An append-only log that any number of readers iterate from its start, each waiting for new
 * items until the log is closed. A report stream that breaks is replaced by a new reader.
 */
export function createReplayLog<T>() {
  const items: T[] = [];
  let closed = false;
  let waiters: (() => void)[] = [];
  const notify = () => {
    const w = waiters;
    waiters = [];
    for (const wake of w) wake();
  };
  return {
    push(item: T): void {
      if (closed) return;
      items.push(item);
      notify();
    },
    close(): void {
      closed = true;
      notify();
    },
    get length(): number {
      return items.length;
    },
    async *read(): AsyncGenerator<T> {
      for (let i = 0; ;) {
        if (i < items.length) {
          yield items[i++] as T;
          continue;
        }
        if (closed) return;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}
