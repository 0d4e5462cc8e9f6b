import { findLanguage, resolveVersion, type LanguageManifest, type LiveVersions } from '@muscode/common';
import { errors } from '../../errors.js';
import type { AuditRepo } from '../audit/repo.js';
import type { ExecutionService } from '../executions/service.js';
import { fileView, workspacePath } from '../files/service.js';
import type { ListQuery, ProjectBody, ProjectPatch, RunBody } from './model.js';
import type { ListFilter, ProjectRepo, ProjectRow } from './repo.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (ms: number) => new Date(ms).toISOString();

export function projectView(p: ProjectRow) {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    language: p.language,
    /** The version the project runs with, as its owner asked (exact or a range); null: the newest. */
    version: p.language_version,
    visibility: p.visibility,
    owner: { id: p.user_id, username: p.owner_username },
    forkedFrom: p.fork_from,
    starCount: p.star_count,
    fileCount: p.file_count,
    createdAt: iso(p.created_at),
    updatedAt: iso(p.updated_at),
  };
}

export function createProjectService(deps: {
  repo: ProjectRepo;
  manifest: LanguageManifest;
  executions: ExecutionService;
  audit: AuditRepo;
  /** The exact versions live agents report, by image (to check a project's version). */
  liveVersions?: () => Promise<LiveVersions>;
  /** Bytes of file content one project answer carries (GET /projects/{id}); past it, files
   * are listed without content. Bytes of files one run sends (like a POST /execute body). */
  limits: { inlineContentBytes: number; runMaxBytes: number };
  /** Called after a project is deleted (its stored objects go). */
  onDeleted?: (projectId: string) => Promise<unknown>;
}) {
  const { repo, audit } = deps;

  /** The answer to PUT and PATCH: 404 unless the caller's project was updated, then audited. */
  async function updated(userId: string, projectId: string, row: ProjectRow | null) {
    if (!row) throw errors.notFound('Project');
    await audit.record({ userId, action: 'project_update', resourceType: 'project', resourceId: projectId });
    return projectView(row);
  }

  function languageId(language: string): string {
    const lang = findLanguage(deps.manifest, language);
    if (!lang) throw errors.unsupportedLanguage(language);
    return lang.id;
  }

  /** A project's version as asked, once some version of its language matches it (else 400). */
  async function checkedVersion(
    languageId: string,
    version: string | null | undefined,
  ): Promise<string | null> {
    const wanted = version?.trim();
    if (!wanted) return null;
    const lang = findLanguage(deps.manifest, languageId);
    if (!lang) throw errors.unsupportedLanguage(languageId);
    const r = resolveVersion(lang, wanted, (await deps.liveVersions?.()) ?? new Map());
    if (!r.ok) throw errors.unsupportedVersion(lang.id, r.requested, r.versions);
    return wanted;
  }

  function checkId(id: string) {
    if (!uuidPattern.test(id)) throw errors.notFound('Project');
  }

  function filter(q: ListQuery): ListFilter {
    const page = q.page ?? 1;
    const limit = q.limit ?? 10;
    return {
      language: q.language,
      visibility: q.visibility,
      q: q.q,
      sort: q.sort ?? '-updatedAt',
      limit,
      offset: (page - 1) * limit,
    };
  }

  function paged(rows: ProjectRow[], total: number, q: ListQuery) {
    const limit = q.limit ?? 10;
    return {
      projects: rows.map(projectView),
      pagination: { total, page: q.page ?? 1, limit, pages: Math.ceil(total / limit) },
    };
  }

  return {
    async list(userId: string, q: ListQuery) {
      const { rows, total } = await repo.listOwned(userId, filter(q));
      return paged(rows, total, q);
    },

    async listPublic(q: ListQuery) {
      const { rows, total } = await repo.listPublic(filter(q));
      return paged(rows, total, q);
    },

    async create(userId: string, body: ProjectBody) {
      const language = languageId(body.language);
      const row = await repo.insert(userId, {
        name: body.name.trim() || body.name,
        description: body.description ?? null,
        language,
        languageVersion: await checkedVersion(language, body.version),
        visibility: body.visibility ?? 'private',
      });
      await audit.record({ userId, action: 'project_create', resourceType: 'project', resourceId: row.id });
      return projectView(row);
    },

    /** The project with its files: the owner's, or a public or unlisted one (read-only). */
    async get(callerId: string | null, projectId: string) {
      checkId(projectId);
      const row = await repo.findReadable(projectId, callerId);
      if (!row) throw errors.notFound('Project');
      const files = await repo.listedFiles(projectId, deps.limits.inlineContentBytes);
      const starred = callerId ? await repo.hasStarred(projectId, callerId) : false;
      return {
        ...projectView(row),
        isOwner: row.user_id === callerId,
        starred,
        files: files.map((f) => ({
          ...fileView(f),
          content: f.omitted ? null : (f.content ?? ''),
          contentOmitted: f.omitted,
        })),
      };
    },

    /** A readable project's name and every file with its content (the zip export). */
    async export(callerId: string | null, projectId: string) {
      checkId(projectId);
      const row = await repo.findReadable(projectId, callerId);
      if (!row) throw errors.notFound('Project');
      const files = await repo.files(projectId);
      return { name: row.name, files: files.map((f) => ({ ...f, content: f.content ?? '' })) };
    },

    async replace(userId: string, projectId: string, body: ProjectBody) {
      checkId(projectId);
      const language = languageId(body.language);
      const row = await repo.update(projectId, userId, {
        name: body.name,
        description: body.description ?? null,
        language,
        languageVersion: await checkedVersion(language, body.version),
        visibility: body.visibility ?? 'private',
      });
      return updated(userId, projectId, row);
    },

    async patch(userId: string, projectId: string, body: ProjectPatch) {
      checkId(projectId);
      const language = body.language === undefined ? undefined : languageId(body.language);
      // A new version is checked against the new language, or the project's own. A language
      // change without a version keeps none (the old one may not exist in the new language).
      let languageVersion: string | null | undefined;
      if (body.version !== undefined || language !== undefined) {
        const current = language ?? (await repo.findOwned(projectId, userId))?.language;
        if (current === undefined) throw errors.notFound('Project');
        languageVersion = await checkedVersion(current, body.version ?? null);
      }
      const row = await repo.update(projectId, userId, {
        name: body.name,
        description: body.description,
        language,
        languageVersion,
        visibility: body.visibility,
      });
      return updated(userId, projectId, row);
    },

    async remove(userId: string, projectId: string) {
      checkId(projectId);
      if (!(await repo.softDelete(projectId, userId))) throw errors.notFound('Project');
      await deps.onDeleted?.(projectId);
      await audit.record({
        userId,
        action: 'project_delete',
        resourceType: 'project',
        resourceId: projectId,
      });
    },

    async fork(userId: string, projectId: string) {
      checkId(projectId);
      const r = await repo.fork(projectId, userId);
      if (r === null) throw errors.notFound('Project');
      if (r === 'storage') throw errors.storageQuotaExceeded();
      await audit.record({
        userId,
        action: 'project_fork',
        resourceType: 'project',
        resourceId: r.id,
        metadata: { from: projectId },
      });
      return projectView(r);
    },

    async star(userId: string, projectId: string, on: boolean) {
      checkId(projectId);
      const count = on ? await repo.star(projectId, userId) : await repo.unstar(projectId, userId);
      if (count === null) throw errors.notFound('Project');
      return { projectId, starred: on, starCount: count };
    },

    /**
     * Runs the project's files as one execution of the caller, in the project's language, from
     * its main file: the one marked isMain, else the language's default main file.
     */
    async run(callerId: string, projectId: string, body: RunBody, signal?: AbortSignal) {
      checkId(projectId);
      const project = await repo.findReadable(projectId, callerId);
      if (!project) throw errors.notFound('Project');
      const bytes = await repo.filesBytes(projectId);
      if (bytes > deps.limits.runMaxBytes) {
        throw errors.unprocessable(
          'project_too_large',
          `A run sends at most ${deps.limits.runMaxBytes} bytes of files; this project holds ${bytes}.`,
          { limit: deps.limits.runMaxBytes, size: bytes },
        );
      }
      const files = await repo.files(projectId);
      if (files.length === 0) throw errors.validation('The project has no files to run.', { field: 'files' });
      const lang = findLanguage(deps.manifest, project.language);
      if (!lang) throw errors.unsupportedLanguage(project.language);
      const main =
        files.find((f) => f.is_main) ??
        files.find((f) => workspacePath(f) === lang.mainFile) ??
        (files.length === 1 ? files[0] : undefined);
      if (!main) {
        throw errors.validation(`Mark a main file (isMain) or add ${lang.mainFile}.`, { field: 'isMain' });
      }
      const execBody = {
        language: lang.id,
        ...(project.language_version ? { version: project.language_version } : {}),
        files: files.map((f) => ({ name: f.name, path: f.path, content: f.content ?? '' })),
        mainFile: workspacePath(main),
        stdin: body.stdin,
        timeout: body.timeout,
        memoryLimit: body.memoryLimit,
        tests: body.tests,
        testSetId: body.testSetId,
        checker: body.checker,
        stopOnFirstFailure: body.stopOnFirstFailure,
      };
      return body.wait
        ? deps.executions.submitAndWait(callerId, execBody, { projectId, ...(signal ? { signal } : {}) })
        : deps.executions.submit(callerId, execBody, { projectId });
    },
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
