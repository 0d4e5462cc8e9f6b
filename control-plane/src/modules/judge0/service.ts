import { findLanguage, type LanguageManifest } from '@muscode/common';
import type { Logger } from '@muscode/common';
import type { ExecutionService } from '../executions/service.js';
import type { CallbackSender } from './callback.js';
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
  callbacks: CallbackSender;
  log: Logger;
}) {
  const { executions, repo } = deps;

  async function read(userId: string, tokens: string[], opts: ReadOpts) {
    const views = await Promise.all(tokens.map((t) => executions.get(userId, t)));
    const extra = new Map((await repo.findOwned(tokens, userId)).map((r) => [r.execution_id, r]));
    return views.map((v) => submissionView(v, extra.get(v.executionId), opts));
  }

  /**
   * PUTs the finished submission to its callback URL, in the background (a control-plane
   * restart loses a pending callback; the submission itself is not lost, poll it).
   */
  function notify(userId: string, token: string, url: string, base64: boolean) {
    const l = deps.manifest.limits;
    const deadline = Date.now() + (l.timeoutSeconds.max + l.compileTimeoutSeconds.max) * 1000 + 60_000;
    void (async () => {
      try {
        const view = await executions.awaitFinal(userId, token, deadline);
        const [extra] = await repo.findOwned([token], userId);
        await deps.callbacks.deliver(url, submissionView(view, extra, { base64, fields: defaultFields }));
      } catch (err) {
        deps.log.warn({ err: (err as Error).message, executionId: token }, 'judge0 callback not sent');
      }
    })();
  }

  return {
    /** Queues a submission; with `wait`, answers it finished (the shape of GET). */
    async submit(userId: string, raw: unknown, opts: ReadOpts & { wait: boolean; signal?: AbortSignal }) {
      const s = parseSubmission(raw, opts.base64);
      if (s.callbackUrl) await deps.callbacks.check(s.callbackUrl);
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
        if (s.callbackUrl) notify(userId, executionId, s.callbackUrl, opts.base64);
        return { token: executionId };
      }
      const view = await executions.submitAndWait(userId, s.body, { signal: opts.signal });
      await record(view.executionId);
      if (s.callbackUrl) notify(userId, view.executionId, s.callbackUrl, opts.base64);
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
