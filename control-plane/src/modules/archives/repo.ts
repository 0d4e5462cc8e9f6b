import { sql } from 'slonik';
import { z } from 'zod';
import type { Db } from '../../infra/db.js';
import { changeStorage } from '../files/storage.js';
import type { ProjectFields } from '../projects/repo.js';

export interface ImportedFile {
  name: string;
  /** Folder as stored ("/src", "/" for the root). */
  path: string;
  content: string;
  sizeBytes: number;
  language: string | null;
  isMain: boolean;
}

export function createArchiveRepo(db: Db) {
  return {
    /**
     * A new project of the caller with all the files, in one transaction: the bytes charged to
     * the caller's storage quota first ('storage' when it cannot take them, nothing written).
     */
    async importProject(
      userId: string,
      p: ProjectFields,
      files: readonly ImportedFile[],
    ): Promise<string | 'storage'> {
      return db.transaction(async (tx) => {
        const bytes = files.reduce((n, f) => n + f.sizeBytes, 0);
        if (!(await changeStorage(tx, userId, bytes))) return 'storage' as const;
        const id = await tx.oneFirst(sql.type(z.object({ id: z.string() }))`
          INSERT INTO projects (user_id, name, description, language, language_version, visibility)
          VALUES (${userId}, ${p.name}, ${p.description}, ${p.language}, ${p.languageVersion}, ${p.visibility})
          RETURNING id`);
        for (const f of files) {
          await tx.query(sql.unsafe`
            INSERT INTO files (project_id, name, path, content, size_bytes, language, is_main)
            VALUES (${id}, ${f.name}, ${f.path}, ${f.content}, ${f.sizeBytes}, ${f.language}, ${f.isMain})`);
        }
        return id;
      });
    },
  };
}

export type ArchiveRepo = ReturnType<typeof createArchiveRepo>;
