import { readFileSync, readlinkSync } from 'node:fs';

/** This process's pid namespace (`pid:[4026531836]`), or '' where /proc does not tell. */
export function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

/**
 * Start time of a process (field 22 of /proc/<pid>/stat: clock ticks since boot), or undefined
 * when it is gone or a zombie. With the pid it names one process for good: a pid reused by
 * another process has another start time.
 */
export function processStart(pid: number): bigint | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after it.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field 22 is rest[19].
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
  const start = rest[19];
  return start ? BigInt(start) : undefined;
}
