import { findLanguage, type LanguageManifest } from '@muscode/common';
import type { Logger } from '@muscode/common';
import { AppError, errors } from '../../errors.js';
import type { ExecutionService } from '../executions/service.js';
import type { CallbackSender } from './callback.js';
import { judge0Languages, judge0Language } from './languages.js';
import type { Judge0Repo } from './repo.js';
import { limitInvalid, parseSubmission } from './submission.js';
import { defaultFields, NotUtf8, submissionView } from './view.js';

/** Judge0's 400 when output is not UTF-8 and base64 was not asked for. */
export const notUtf8Message =
  'some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter';

/** A request Judge0 refuses with 400 `{error}` (a DELETE of an unfinished submission). */
export class Judge0Refused extends Error {}

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

  const languageName = (id: number) => {
    const l = judge0Language(id);
    return l ? nameOf(deps.manifest, l.language, l.series) : null;
  };

  /** The submissions in `tokens` order; one the user does not have is null (Judge0's batch GET). */
  async function readMany(userId: string, tokens: string[], opts: ReadOpts) {
    const views = await Promise.all(
      tokens.map((t) =>
        executions.get(userId, t.toLowerCase()).catch((err: unknown) => {
          if (err instanceof AppError && err.status === 404) return null;
          throw err;
        }),
      ),
    );
    const found = views.filter((v) => v !== null).map((v) => v.executionId);
    const extra = new Map((await repo.findOwned(found, userId)).map((r) => [r.execution_id, r]));
    return views.map((v) =>
      v ? submissionView(v, extra.get(v.executionId), { ...opts, languageName }) : null,
    );
  }

  async function readOne(userId: string, token: string, opts: ReadOpts) {
    const view = await executions.get(userId, token.toLowerCase());
    const [extra] = await repo.findOwned([view.executionId], userId);
    return submissionView(view, extra, { ...opts, languageName });
  }

  /**
   * PUTs the finished submission to its callback URL, in the background (a control-plane
   * restart loses a pending callback; the submission itself is not lost, poll it). Judge0
   * sends its default fields, always base64-encoded (IsolateJob#call_callback).
   */
  function notify(userId: string, token: string, url: string) {
    const l = deps.manifest.limits;
    const deadline = Date.now() + (l.timeoutSeconds.max + l.compileTimeoutSeconds.max) * 1000 + 60_000;
    void (async () => {
      try {
        const view = await executions.awaitFinal(userId, token, deadline);
        const [extra] = await repo.findOwned([token], userId);
        await deps.callbacks.deliver(
          url,
          submissionView(view, extra, { base64: true, fields: defaultFields, languageName }),
        );
      } catch (err) {
        deps.log.warn({ err: (err as Error).message, executionId: token }, 'judge0 callback not sent');
      }
    })();
  }

  return {
    /**
     * Queues a submission; with `wait`, answers it finished (the shape of GET), or, when its
     * output is not UTF-8 and base64 was not asked for, `{token, error}` as Judge0 does.
     */
    async submit(userId: string, raw: unknown, opts: ReadOpts & { wait: boolean; signal?: AbortSignal }) {
      const s = parseSubmission(raw, opts.base64);
      if (s.callbackUrl) await deps.callbacks.check(s.callbackUrl);
      const record = (executionId: string) =>
        repo.insert({
          executionId,
          languageId: s.languageId,
          expectedOutput: s.expectedOutput,
          callbackUrl: s.callbackUrl,
          commandLineArguments: s.commandLineArguments,
        });
      const judge0Limits = (err: unknown) => limitInvalid(err, s.body) ?? err;
      if (!opts.wait) {
        const { executionId } = await executions.submit(userId, s.body).catch((err: unknown) => {
          throw judge0Limits(err);
        });
        await record(executionId);
        if (s.callbackUrl) notify(userId, executionId, s.callbackUrl);
        return { token: executionId };
      }
      const view = await executions
        .submitAndWait(userId, s.body, { signal: opts.signal })
        .catch((err: unknown) => {
          throw judge0Limits(err);
        });
      await record(view.executionId);
      if (s.callbackUrl) notify(userId, view.executionId, s.callbackUrl);
      try {
        return await readOne(userId, view.executionId, opts);
      } catch (err) {
        if (!(err instanceof NotUtf8)) throw err;
        return { token: view.executionId, error: notUtf8Message };
      }
    },

    get: readOne,

    read: readMany,

    /**
     * Judge0's DELETE: the finished submission goes; it is answered as it was, base64-encoded
     * whatever was asked (so every field can be read). Queued or running: a Judge0Refused.
     */
    async remove(userId: string, token: string, fields: string[]) {
      const answer = await readOne(userId, token, { base64: true, fields: [...fields, 'status'] });
      const st = answer['status'] as { id: number; description: string };
      if (st.id === 1 || st.id === 2) {
        throw new Judge0Refused(
          `submission cannot be deleted because its status is ${st.id} (${st.description})`,
        );
      }
      if (!(await repo.deleteFinished(token.toLowerCase(), userId))) throw errors.notFound('Submission');
      if (!fields.includes('status')) delete answer['status'];
      return answer;
    },
    languages() {
      return judge0Languages
        .map((l) => ({ id: l.id, name: nameOf(deps.manifest, l.language, l.series) }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },

    language(id: number) {
      const l = judge0Language(id);
      const lang = l && findLanguage(deps.manifest, l.language);
      if (!l || !lang) return null;
      return {
        id: l.id,
        name: nameOf(deps.manifest, l.language, l.series),
        is_archived: false,
        source_file: lang.mainFile,
        compile_cmd: null,
        run_cmd: null,
      };
    },

    defaultFields,
  };
}

function nameOf(m: LanguageManifest, id: string, series: string): string {
  return `${findLanguage(m, id)?.name ?? id} (${series})`;
}

export type Judge0Service = ReturnType<typeof createJudge0Service>;
