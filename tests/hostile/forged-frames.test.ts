import { describe, expect, it } from 'vitest';
import { execute, newUser } from '../support/api.js';

// The launcher (PID 1 of the sandbox) speaks frames to the agent on its stdout. A program that
// could open /proc/1/fd/1 could write a fake result line (`x … exit=0`) or fake output into the
// agent's stream. On gVisor 2022-12, PR_SET_DUMPABLE does not prevent it for a process of the
// same uid; the launcher is therefore root in the sandbox and runs the program as another uid
// without capabilities.
const forge = String.raw`
import os, struct, sys
fake_x = b'step=run exit=0 signal=0 cpu_ms=1 wall_ms=1 maxrss_kb=1 timeout=0 cpu_limit=0 output_limit=0 cancelled=0'
fake = b'o' + struct.pack('>I', 6) + b'PWNED\n' + b'x' + struct.pack('>I', len(fake_x)) + fake_x
for path in ('/proc/1/fd/1', '/proc/1/fd/0', '/proc/1/fd/2', '/proc/1/root/proc/1/fd/1'):
    try:
        fd = os.open(path, os.O_WRONLY)
        os.write(fd, fake)
        print(path, 'WRITTEN')
    except OSError as e:
        print(path, type(e).__name__)
try:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    print('ptrace', libc.ptrace(16, 1, 0, 0), ctypes.get_errno())  # PTRACE_ATTACH to the launcher
except Exception as e:
    print('ptrace', type(e).__name__)
print('uid', os.getuid(), os.geteuid())
sys.stdout.flush()
sys.exit(3)
`;

describe('hostile: forging the launcher protocol from inside the sandbox', () => {
  it('cannot write into the launcher stream: the verdict and output are the real ones', async () => {
    const user = await newUser();
    const result = await execute(user.token, { language: 'python', code: forge });
    expect(result.status).toBe('runtime_error');
    expect(result.exitCode).toBe(3);
    expect(result.output).not.toContain('PWNED');
    expect(result.output).not.toContain('WRITTEN');
    expect(result.output).toContain('/proc/1/fd/1 PermissionError');
    expect(result.output).toContain('/proc/1/fd/0 PermissionError');
    expect(result.output).toMatch(/ptrace -1 1\n/); // EPERM
    expect(result.output).toContain('uid 1000 1000');
  });
});
