/** At most `limit` holders at once; acquire() resolves with the release function. */
export function createSemaphore(limit: number) {
  let held = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    held--;
    const next = waiting.shift();
    if (next) {
      held++;
      next();
    }
  };
  return {
    async acquire(): Promise<() => void> {
      if (held < limit) {
        held++;
        return release;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
      return release;
    },
  };
}
