import { findLanguage, type LanguageManifest } from '@muscode/common';
import type { ExecutionService } from '../executions/service.js';
import { judge0Languages, judge0Language } from './languages.js';
import type { Judge0Repo } from './repo.js';
import { parseSubmission } from './submission.js';
import { defaultFields, submissionView } from './view.js';

export interface ReadOpts {
  base64: boolean;
  fields: string[];
}

/** Judge0 CE's API over the one execution service: it translates shapes, nothing more. */
export function createJudge0Service(deps: {
  executions: ExecutionService;
  repo: Judge0Repo;
  manifest: LanguageManifest;
  maxBatch: number;
}) {
  const { executions, repo } = deps;

  async function read(userId: string, tokens: string[], opts: ReadOpts) {
    const views = await Promise.all(tokens.map((t) => executions.get(userId, t)));
    const extra = new Map((await repo.findOwned(tokens, userId)).map((r) => [r.execution_id, r]));
    return views.map((v) => submissionView(v, extra.get(v.executionId), opts));
  }

  return {
    /** Queues a submission; with `wait`, answers it finished (the shape of GET). */
    async submit(userId: string, raw: unknown, opts: ReadOpts & { wait: boolean; signal?: AbortSignal }) {
      const s = parseSubmission(raw, opts.base64);
      const record = (executionId: string) =>
        repo.insert({
          executionId,
          languageId: s.languageId,
          expectedOutput: s.expectedOutput,
          callbackUrl: s.callbackUrl,
        });
      if (!opts.wait) {
        const { executionId } = await executions.submit(userId, s.body);
        await record(executionId);
        return { token: executionId };
      }
      const view = await executions.submitAndWait(userId, s.body, { signal: opts.signal });
      await record(view.executionId);
      return submissionView(
        view,
        { language_id: s.languageId, expected_output: s.expectedOutput },
        { base64: opts.base64, fields: opts.fields },
      );
    },

    get: async (userId: string, token: string, opts: ReadOpts) => (await read(userId, [token], opts))[0]!,

    read,

    languages() {
      return judge0Languages
        .map((l) => ({ id: l.id, name: languageName(deps.manifest, l.language, l.series) }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },

    language(id: number) {
      const l = judge0Language(id);
      const lang = l && findLanguage(deps.manifest, l.language);
      if (!l || !lang) return null;
      return {
        id: l.id,
        name: languageName(deps.manifest, l.language, l.series),
        is_archived: false,
        source_file: lang.mainFile,
        compile_cmd: null,
        run_cmd: null,
      };
    },

    defaultFields,
  };
}

function languageName(m: LanguageManifest, id: string, series: string): string {
  return `${findLanguage(m, id)?.name ?? id} (${series})`;
}

export type Judge0Service = ReturnType<typeof createJudge0Service>;
