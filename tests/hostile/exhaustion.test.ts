import { beforeAll, describe, expect, it } from 'vitest';
import { execute, newUser, type TestUser } from '../support/api.js';

// Programs that exhaust their sandbox, through the API on the real stack. Under gVisor a bomb
// does not just fail a fork or a malloc: the kernel's OOM killer or the pids limit (which counts
// gVisor's own threads) takes the whole sandbox down, and what the user gets must still be the
// user's verdict naming the limit, never `internal_error` (a platform fault that pages
// operators). Each bomb runs several times: which of the sandbox's death and the agent's reading
// of it comes first is a race.
let user: TestUser;
const repeats = 3;

interface Result {
  status: string;
  message: string | null;
  compilationError: string | null;
  [k: string]: unknown;
}

beforeAll(async () => {
  user = await newUser();
});

const cForkBomb = '#include <unistd.h>\nint main(void) { for (;;) fork(); }\n';

/** Forks a child that allocates until it dies, and forks the next one when it does. */
const cMemoryBomb = `#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) {
  for (;;) {
    pid_t p = fork();
    if (p == 0) {
      for (;;) { char *m = malloc(1 << 20); if (!m) _exit(1); memset(m, 1, 1 << 20); }
    }
    if (p > 0) waitpid(p, 0, 0);
  }
}
`;

/** Starts a copy of itself, allocates, and starts another copy whenever its copy has died. */
const pythonMemoryBomb = `import subprocess, sys
hog = []
child = subprocess.Popen([sys.executable, __file__])
while True:
    hog.append(b'x' * (1 << 20))
    if child.poll() is not None:
        child = subprocess.Popen([sys.executable, __file__])
`;

/** Each copy starts a detached copy of itself in a new session, then allocates. */
const nodeBomb = `const { spawn } = require('child_process');
try { spawn(process.execPath, [__filename], { detached: true, stdio: 'ignore' }).on('error', () => {}); } catch {}
const hog = [];
setInterval(() => hog.push(Buffer.alloc(16 << 20, 1)), 1);
`;

/** Goroutines holding 8 MiB each, and a copy of itself started every hundred of them. */
const goBomb = `package main

import (
	"os"
	"os/exec"
	"time"
)

func main() {
	for i := 0; ; i++ {
		go func() {
			b := make([]byte, 8<<20)
			for j := range b {
				b[j] = 1
			}
			time.Sleep(time.Hour)
		}()
		if i%100 == 0 {
			_ = exec.Command(os.Args[0]).Start()
		}
	}
}
`;

const processLimit = 'The program exceeded its process limit (%d processes and threads).';
const memoryLimit = 'The program exceeded its memory limit (%d MB).';

/** Runs a bomb `repeats` times; each outcome as status and message, with the numbers as %d. */
async function bomb(
  language: string,
  code: string,
  memoryLimitMb: number,
  more: Record<string, unknown> = {},
): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < repeats; i++) {
    const r = (await execute(user.token, {
      language,
      code,
      memoryLimit: memoryLimitMb,
      timeout: 5,
      ...more,
    })) as Result;
    outcomes.push(`${r.status}: ${(r.message ?? '').replace(/\d+/g, '%d')}`);
  }
  return outcomes;
}
const times = (outcome: string) => Array.from({ length: repeats }, () => outcome);

describe.each([64, 256])('hostile: exhaustion at memoryLimit %i MB', (mb) => {
  it('C fork bomb: runtime_error naming the process limit', { timeout: 180_000 }, async () => {
    expect(await bomb('c', cForkBomb, mb)).toEqual(times(`runtime_error: ${processLimit}`));
  });

  it('C memory bomb that respawns itself: memory_limit', { timeout: 180_000 }, async () => {
    expect(await bomb('c', cMemoryBomb, mb)).toEqual(times(`memory_limit: ${memoryLimit}`));
  });

  it('Python memory bomb that respawns itself: memory_limit', { timeout: 180_000 }, async () => {
    expect(await bomb('python', pythonMemoryBomb, mb)).toEqual(times(`memory_limit: ${memoryLimit}`));
  });

  it('Node detached (setsid) self-spawning bomb: memory_limit', { timeout: 180_000 }, async () => {
    expect(await bomb('javascript', nodeBomb, mb)).toEqual(times(`memory_limit: ${memoryLimit}`));
  });

  // The Go bomb has two limits to reach, memory (its goroutines) and pids (its copies, each with
  // its own threads, each counted twice or more under gVisor), and which it reaches first is its
  // own race at 256 MB. With the most processes Go may have, the memory is always first.
  it('Go goroutine and self-re-exec bomb: memory_limit', { timeout: 240_000 }, async () => {
    expect(await bomb('go', goBomb, mb, { processes: 512 })).toEqual(times(`memory_limit: ${memoryLimit}`));
  });
});

describe('hostile: exhaustion in the compile stage', () => {
  const compileBomb = (language: string, code: string, mb: number) =>
    execute(user.token, { language, code, memoryLimit: mb, timeout: 5 }) as Promise<Result>;

  it('C++ template bomb: compile_error naming the memory limit', { timeout: 180_000 }, async () => {
    const code = `#include <tuple>
template <int N, class... T> struct D { using type = typename D<N - 1, T..., T...>::type; };
template <class... T> struct D<0, T...> { using type = std::tuple<T...>; };
int main() { D<24, int>::type x; return sizeof x; }
`;
    for (const mb of [64, 256]) {
      const r = await compileBomb('cpp', code, mb);
      expect({ status: r.status, message: r.message }).toEqual({
        status: 'compile_error',
        message: `Compilation exceeded the memory limit (${mb} MB).`,
      });
    }
  });

  it('C #include "/dev/zero": compile_error naming the memory limit', { timeout: 180_000 }, async () => {
    for (const mb of [64, 256]) {
      const r = await compileBomb('c', '#include "/dev/zero"\n', mb);
      expect({ status: r.status, message: r.message }).toEqual({
        status: 'compile_error',
        message: `Compilation exceeded the memory limit (${mb} MB).`,
      });
    }
  });
});
