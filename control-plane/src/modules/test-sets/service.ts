import type { LanguageManifest } from '@muscode/common';
import { errors } from '../../errors.js';
import type { AuditRepo } from '../audit/repo.js';
import { resolveGrading, resolveLimits } from '../executions/request.js';
import type { TestSetBody, TestSetListQuery } from './model.js';
import type { StoredTest, TestSetFields, TestSetRepo, TestSetRow, TestSetSummaryRow } from './repo.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (ms: number) => new Date(ms).toISOString();

/** A set's checker as someone else sees it: a checker program's code stays the owner's. */
function checkerView(checker: Record<string, unknown> | null, isOwner: boolean) {
  if (!checker || isOwner) return checker;
  return Object.fromEntries(Object.entries(checker).filter(([key]) => key !== 'code'));
}

/** A test as the caller may see it: a hidden one is its name alone to anyone but the owner. */
function testView(t: StoredTest, isOwner: boolean) {
  if (t.hidden && !isOwner) return { name: t.name, hidden: true as const };
  return {
    name: t.name,
    stdin: t.stdin,
    expectedOutput: t.expectedOutput,
    ...(t.timeout === undefined ? {} : { timeout: t.timeout }),
    hidden: t.hidden,
  };
}

function summaryView(row: TestSetSummaryRow, callerId: string | null) {
  const isOwner = row.user_id === callerId;
  return {
    id: row.id,
    name: row.name,
    visibility: row.visibility,
    owner: { id: row.user_id, username: row.owner_username },
    isOwner,
    checker: checkerView(row.checker, isOwner),
    testCount: row.test_count,
    hiddenCount: row.hidden_count,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A set as the caller may see it (README, "Grading": stored test sets). */
export function testSetView(row: TestSetRow, callerId: string | null) {
  const isOwner = row.user_id === callerId;
  return {
    ...summaryView(
      {
        ...row,
        test_count: row.tests.length,
        hidden_count: row.tests.filter((t) => t.hidden).length,
      },
      callerId,
    ),
    tests: row.tests.map((t) => testView(t, isOwner)),
  };
}

/** What a submission against a set runs: its tests and checker, and whether the submitter owns it. */
export interface SetForRun {
  tests: StoredTest[];
  checker: Record<string, unknown> | null;
  isOwner: boolean;
}

export function createTestSetService(deps: {
  repo: TestSetRepo;
  manifest: LanguageManifest;
  audit?: AuditRepo;
  /** Sets one user may hold. */
  maxPerUser: number;
}) {
  const { repo, manifest } = deps;

  function checkId(id: string) {
    if (!uuidPattern.test(id)) throw errors.notFound('Test set');
  }

  /**
   * The body's fields, checked as inline tests are (count, sizes, unique names, timeouts within
   * the manifest's range, the checker) and with each test's name resolved.
   */
  function fields(body: TestSetBody): TestSetFields {
    const grading = resolveGrading(
      manifest,
      {
        tests: body.tests.map(({ hidden: _hidden, ...t }) => t),
        ...(body.checker ? { checker: body.checker } : {}),
      },
      resolveLimits(manifest, {}),
    );
    const names = grading?.tests.map((t) => t.name) ?? [];
    return {
      name: body.name.trim() || body.name,
      visibility: body.visibility ?? 'private',
      tests: body.tests.map((t, i) => ({
        name: names[i] ?? `test ${i + 1}`,
        stdin: t.stdin,
        expectedOutput: t.expectedOutput,
        ...(t.timeout === undefined ? {} : { timeout: t.timeout }),
        hidden: t.hidden ?? false,
      })),
      checker: body.checker ? { ...body.checker } : null,
    };
  }

  return {
    async create(userId: string, body: TestSetBody) {
      const row = await repo.insertCapped(userId, fields(body), deps.maxPerUser);
      if (!row) {
        throw errors.failedPrecondition(
          'too_many_test_sets',
          `You can keep at most ${deps.maxPerUser} test sets; delete one first.`,
          { max: deps.maxPerUser },
        );
      }
      await deps.audit?.record({
        userId,
        action: 'test_set_create',
        resourceType: 'test_set',
        resourceId: row.id,
      });
      return testSetView(row, userId);
    },

    async list(userId: string, q: TestSetListQuery) {
      const page = q.page ?? 1;
      const limit = q.limit ?? 20;
      const { rows, total } = await repo.listOwned(userId, limit, (page - 1) * limit);
      return {
        testSets: rows.map((r) => summaryView(r, userId)),
        pagination: { total, page, limit, pages: Math.ceil(total / limit) },
      };
    },

    /** The caller's set, or a public or unlisted one (its hidden tests as names only). */
    async get(callerId: string | null, id: string) {
      checkId(id);
      const row = await repo.findReadable(id.toLowerCase(), callerId);
      if (!row) throw errors.notFound('Test set');
      return testSetView(row, callerId);
    },

    async replace(userId: string, id: string, body: TestSetBody) {
      checkId(id);
      const row = await repo.update(id.toLowerCase(), userId, fields(body));
      if (!row) throw errors.notFound('Test set');
      await deps.audit?.record({
        userId,
        action: 'test_set_update',
        resourceType: 'test_set',
        resourceId: row.id,
      });
      return testSetView(row, userId);
    },

    async remove(userId: string, id: string) {
      checkId(id);
      if (!(await repo.remove(id.toLowerCase(), userId))) throw errors.notFound('Test set');
      await deps.audit?.record({
        userId,
        action: 'test_set_delete',
        resourceType: 'test_set',
        resourceId: id.toLowerCase(),
      });
    },

    /** The set a submission names: the caller's, or a public or unlisted one; else 404. */
    async forRun(userId: string, id: string): Promise<SetForRun> {
      checkId(id);
      const row = await repo.findReadable(id.toLowerCase(), userId);
      if (!row) throw errors.notFound('Test set');
      return { tests: row.tests, checker: row.checker, isOwner: row.user_id === userId };
    },
  };
}

export type TestSetService = ReturnType<typeof createTestSetService>;
