import { createHash } from 'node:crypto';
import type { LanguageManifest } from '@muscode/common';
import { errors } from '../../errors.js';
import type { AuditRepo } from '../audit/repo.js';
import { normalizeFilePath } from '../executions/request.js';
import type { FileRow } from '../projects/repo.js';
import type { FileCreateBody, FileUpdateBody } from './model.js';
import type { FileFields, FileRepo, FileWriteError } from './repo.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface FileLimits {
  maxFileBytes: number;
  maxFilesPerProject: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function fileView(f: FileRow) {
  return {
    id: f.id,
    name: f.name,
    path: f.path,
    content: f.content ?? '',
    size: f.size_bytes,
    language: f.language,
    isMain: f.is_main,
    createdAt: iso(f.created_at),
    updatedAt: iso(f.updated_at),
  };
}

/** A strong ETag of a file's representation (what GET answers), quoted as HTTP writes it. */
export function fileEtag(view: ReturnType<typeof fileView>): string {
  return `"${createHash('sha256').update(JSON.stringify(view)).digest('base64url').slice(0, 27)}"`;
}

/** Whether an `If-Match` header admits the current ETag (`*`, or one of its strong tags). */
export function ifMatchAdmits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return true;
  const tags = header.split(',').map((t) => t.trim());
  return tags.includes('*') || tags.includes(etag);
}

/** The workspace path of a stored file ("/src" + "a.py" → "src/a.py"). */
export function workspacePath(f: Pick<FileRow, 'path' | 'name'>): string {
  return normalizeFilePath(f.path, f.name, 'name');
}

/**
 * Splits a folder and a name into the stored form: the folder as "/a/b" ("/" for the root), the
 * name as one segment. Paths with "..", absolute names, control characters and the like are 400s.
 */
function place(dir: string | undefined, name: string): { path: string; name: string } {
  if (name.includes('/'))
    throw errors.validation('name must not contain "/"; put folders in path.', { field: 'name' });
  const full = normalizeFilePath(dir, name, dir === undefined ? 'name' : 'path');
  const segments = full.split('/');
  return { name: segments.pop() ?? name, path: `/${segments.join('/')}` };
}

function failure(reason: FileWriteError, limits: FileLimits): never {
  switch (reason) {
    case 'not_found':
      throw errors.notFound('File');
    case 'exists':
      throw errors.conflict('file_exists', 'A file with that path and name already exists in the project.', {
        field: 'name',
      });
    case 'too_many':
      throw errors.conflict('too_many_files', `A project holds at most ${limits.maxFilesPerProject} files.`);
    case 'storage':
      throw errors.storageQuotaExceeded();
    case 'precondition':
      throw errors.preconditionFailed('The file');
  }
}

export function createFileService(deps: {
  repo: FileRepo;
  manifest: LanguageManifest;
  limits: FileLimits;
  audit: AuditRepo;
}) {
  const { repo, limits } = deps;

  function sized(content: string): number {
    const size = Buffer.byteLength(content, 'utf8');
    if (size > limits.maxFileBytes) {
      throw errors.validation(`content must be at most ${limits.maxFileBytes} bytes.`, { field: 'content' });
    }
    if (content.includes('\0'))
      throw errors.validation('content must not contain NUL characters.', { field: 'content' });
    return size;
  }

  function languageOf(name: string): string | null {
    return deps.manifest.languages.find((l) => name.endsWith(l.extension))?.id ?? null;
  }

  const checkIds = (...ids: string[]) => {
    if (!ids.every((id) => uuidPattern.test(id))) throw errors.notFound('File');
  };

  return {
    async create(userId: string, projectId: string, body: FileCreateBody) {
      checkIds(projectId);
      const where = place(body.path, body.name);
      const r = await repo.create(projectId, userId, {
        ...where,
        content: body.content,
        sizeBytes: sized(body.content),
        language: languageOf(where.name),
        isMain: body.isMain ?? false,
      });
      if (typeof r === 'string') {
        if (r === 'not_found') throw errors.notFound('Project');
        failure(r, limits);
      }
      await deps.audit.record({
        userId,
        action: 'file_create',
        resourceType: 'file',
        resourceId: r.id,
        metadata: { projectId },
      });
      return fileView(r);
    },

    async get(callerId: string | null, projectId: string, fileId: string) {
      checkIds(projectId, fileId);
      const f = await repo.findReadable(projectId, fileId, callerId);
      if (!f) throw errors.notFound('File');
      return fileView(f);
    },

    /** With `ifMatch` (the If-Match header), only when the file is still at that version. */
    async update(userId: string, projectId: string, fileId: string, body: FileUpdateBody, ifMatch?: string) {
      checkIds(projectId, fileId);
      const size = body.content === undefined ? undefined : sized(body.content);
      const r = await repo.update(projectId, fileId, userId, (old): FileFields | 'precondition' => {
        if (!ifMatchAdmits(ifMatch, fileEtag(fileView(old)))) return 'precondition';
        const where = place(body.path ?? old.path, body.name ?? old.name);
        return {
          ...where,
          content: body.content ?? old.content ?? '',
          sizeBytes: size ?? old.size_bytes,
          language: languageOf(where.name),
          isMain: body.isMain ?? old.is_main,
        };
      });
      if (typeof r === 'string') failure(r, limits);
      await deps.audit.record({
        userId,
        action: 'file_update',
        resourceType: 'file',
        resourceId: fileId,
        metadata: { projectId },
      });
      return fileView(r);
    },

    async delete(userId: string, projectId: string, fileId: string) {
      checkIds(projectId, fileId);
      const r = await repo.delete(projectId, fileId, userId);
      if (r !== true) failure(r, limits);
      await deps.audit.record({
        userId,
        action: 'file_delete',
        resourceType: 'file',
        resourceId: fileId,
        metadata: { projectId },
      });
    },
  };
}

export type FileService = ReturnType<typeof createFileService>;
