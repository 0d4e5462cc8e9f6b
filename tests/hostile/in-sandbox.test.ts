import { beforeAll, describe, expect, it } from 'vitest';
import { execute, newUser, type TestUser } from '../support/api.js';

// Defence in depth inside the sandbox, through the API on the real stack (gVisor): what the
// unprivileged program may not do even though gVisor 2022-12 would let any uid do it. At the
// free tier's limits: 64 MB, 5 s.
let user: TestUser;

beforeAll(async () => {
  user = await newUser();
});

const run = (code: string) => execute(user.token, { language: 'python', code, timeout: 5, memoryLimit: 64 });

const tryIt = `import errno, os, stat
def t(f):
    try:
        f()
        return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
`;

describe('inside the sandbox', () => {
  it('mknod of a character or block device is denied; FIFOs and sockets still work', async () => {
    const r = await run(
      tryIt +
        "print(t(lambda: os.mknod('/tmp/c', stat.S_IFCHR | 0o666, os.makedev(1, 3))),\n" +
        "      t(lambda: os.mknod('c2', stat.S_IFCHR | 0o666, os.makedev(10, 229))),\n" +
        "      t(lambda: os.mknod('/tmp/b', stat.S_IFBLK | 0o666, os.makedev(7, 0))),\n" +
        "      t(lambda: os.mknod('/tmp/f', stat.S_IFIFO | 0o600)),\n" +
        "      t(lambda: os.mknod('/tmp/s', stat.S_IFSOCK | 0o600)))\n" +
        "print(sorted(os.listdir('/tmp')))\n",
    );
    expect(r.status).toBe('completed');
    expect(r.output).toBe("EPERM EPERM EPERM ok ok\n['f', 's']\n");
  });

  it('/dev/fuse and /dev/net/tun do not exist for the program', async () => {
    const r = await run(
      tryIt +
        "print(os.path.exists('/dev/fuse'), os.path.exists('/dev/net'),\n" +
        "      t(lambda: open('/dev/fuse', 'rb')), t(lambda: open('/dev/net/tun', 'rb')))\n" +
        "print(sorted(os.listdir('/dev')))\n",
    );
    expect(r.status).toBe('completed');
    expect(r.output).toBe(
      'False False ENOENT ENOENT\n' +
        "['fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']\n",
    );
  });

  it('a negative nice value is denied, a positive one allowed', async () => {
    const r = await run(
      tryIt +
        'print(t(lambda: os.nice(-20)), t(lambda: os.setpriority(os.PRIO_PROCESS, 0, -1)),\n' +
        '      t(lambda: os.setpriority(os.PRIO_PGRP, 0, -5)), t(lambda: os.nice(5)))\n' +
        'print(os.getpriority(os.PRIO_PROCESS, 0))\n',
    );
    expect(r.status).toBe('completed');
    expect(r.output).toBe('EPERM EPERM EPERM ok\n5\n');
  });
});
