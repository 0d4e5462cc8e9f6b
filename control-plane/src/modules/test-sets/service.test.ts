import { describe, expect, it } from 'vitest';
import type { TestSetRow } from './repo.js';
import { testSetView } from './service.js';

const row: TestSetRow = {
  id: 's1',
  user_id: 'owner',
  owner_username: 'ada',
  name: 'set',
  visibility: 'unlisted',
  tests: [
    { name: 'sample', stdin: '1\n', expectedOutput: '2\n', hidden: false },
    { name: 'secret', stdin: '7\n', expectedOutput: '14\n', timeout: 2, hidden: true },
  ],
  checker: { type: 'program', language: 'python', code: 'print("answer is 14")' },
  created_at: 0,
  updated_at: 0,
};

describe('testSetView', () => {
  it('shows the owner every test and the checker whole', () => {
    const v = testSetView(row, 'owner');
    expect(v).toMatchObject({ isOwner: true, testCount: 2, hiddenCount: 1, checker: row.checker });
    expect(v.tests[1]).toEqual({
      name: 'secret',
      stdin: '7\n',
      expectedOutput: '14\n',
      timeout: 2,
      hidden: true,
    });
  });

  it('shows anyone else a hidden test as its name, and a checker program without its code', () => {
    for (const caller of ['someone', null]) {
      const v = testSetView(row, caller);
      expect(v.isOwner).toBe(false);
      expect(v.tests).toEqual([
        { name: 'sample', stdin: '1\n', expectedOutput: '2\n', hidden: false },
        { name: 'secret', hidden: true },
      ]);
      expect(v.checker).toEqual({ type: 'program', language: 'python' });
      expect(JSON.stringify(v)).not.toMatch(/14/);
    }
  });
});
