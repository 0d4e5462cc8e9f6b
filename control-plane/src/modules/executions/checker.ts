import {
  findLanguage,
  resolveVersion,
  type LanguageManifest,
  type LiveVersions,
  type ProgramChecker,
} from '@muscode/common';
import { AppError, errors } from '../../errors.js';

/** A checker program as a request gives it (REST, WebSocket, gRPC). */
export interface ProgramCheckerBody {
  type: 'program';
  language: string;
  version?: string | undefined;
  code: string;
}

/**
 * A request's checker program, validated (README, "Grading"): a language of the manifest and a
 * version it has (as `version` of the request is resolved), code that is not empty and at most
 * the manifest's code size. The job carries the language's id and the chosen image and version.
 */
export function resolveProgramChecker(
  m: LanguageManifest,
  checker: ProgramCheckerBody,
  live: LiveVersions,
): ProgramChecker {
  const language = findLanguage(m, checker.language ?? '');
  if (!language) {
    throw new AppError(
      'invalid_argument',
      'unsupported_language',
      `The checker's language "${checker.language}" is not supported.`,
      { field: 'checker.language' },
    );
  }
  const resolved = resolveVersion(language, checker.version, live);
  if (!resolved.ok) {
    throw new AppError(
      'invalid_argument',
      'unsupported_version',
      `${language.id} has no version "${resolved.requested}"; there are: ${resolved.versions.join(', ')}.`,
      { field: 'checker.version', versions: resolved.versions },
    );
  }
  const code = checker.code ?? '';
  if (code.trim() === '') {
    throw errors.validation('checker.code must not be empty.', { field: 'checker.code' });
  }
  const max = m.limits.codeBytes.max;
  if (Buffer.byteLength(code) > max) {
    throw errors.validation(`checker.code must be at most ${max} bytes.`, { field: 'checker.code', max });
  }
  const { entry, version } = resolved.choice;
  return { type: 'program', language: language.id, version, image: entry.image, code };
}
