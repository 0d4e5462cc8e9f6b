import { findLanguage, type LanguageManifest } from '@muscode/common';
import { errors } from '../../errors.js';
import type { AuditRepo } from '../audit/repo.js';
import type { ProjectService } from '../projects/service.js';
import type { ArchiveRepo, ImportedFile } from './repo.js';
import { unzipFiles, zipFiles, type ArchiveLimits } from './zip.js';

export interface ImportQuery {
  name: string;
  language: string;
  visibility?: 'private' | 'public' | 'unlisted';
}

/** Project archives: a project's files as a zip, and a new project from one. */
export function createArchiveService(deps: {
  repo: ArchiveRepo;
  projects: ProjectService;
  manifest: LanguageManifest;
  audit: AuditRepo;
  limits: ArchiveLimits;
}) {
  /** The stored form of archive files: folder and name apart, the main file marked. */
  function stored(files: { path: string; content: string }[], mainFile: string): ImportedFile[] {
    const main = files.find((f) => f.path === mainFile)?.path ?? files[0]!.path;
    return files.map((f) => {
      const segments = f.path.split('/');
      const name = segments.pop()!;
      return {
        name,
        path: `/${segments.join('/')}`,
        content: f.content,
        sizeBytes: Buffer.byteLength(f.content, 'utf8'),
        language: deps.manifest.languages.find((l) => name.endsWith(l.extension))?.id ?? null,
        isMain: f.path === main,
      };
    });
  }

  return {
    /** A readable project (the owner's, or public/unlisted) as a zip stream and a file name. */
    async exportZip(callerId: string | null, projectId: string) {
      const project = await deps.projects.export(callerId, projectId);
      const files = project.files.map((f) => ({
        path: [...f.path.split('/'), f.name].filter(Boolean).join('/'),
        content: f.content,
      }));
      const base = project.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'project';
      return { stream: zipFiles(files), fileName: `${base}.zip` };
    },

    async importZip(userId: string, bytes: Buffer, q: ImportQuery) {
      const lang = findLanguage(deps.manifest, q.language);
      if (!lang) throw errors.unsupportedLanguage(q.language);
      const files = stored(await unzipFiles(bytes, deps.limits), lang.mainFile);
      const id = await deps.repo.importProject(
        userId,
        {
          name: q.name.trim() || q.name,
          description: null,
          language: lang.id,
          languageVersion: null,
          visibility: q.visibility ?? 'private',
        },
        files,
      );
      if (id === 'storage') throw errors.storageQuotaExceeded();
      await deps.audit.record({ userId, action: 'project_create', resourceType: 'project', resourceId: id });
      return deps.projects.get(userId, id);
    },
  };
}

export type ArchiveService = ReturnType<typeof createArchiveService>;
