import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errors } from '../../errors.js';
import { judge0Language } from './languages.js';
import { limitInvalid, parseSubmission } from './submission.js';
import { judge0StatusOf, judge0Statuses, outputsMatch } from './statuses.js';
import { InvalidFields, parseFields, rubyBase64, submissionView } from './view.js';
import type { ExecutionView } from '../executions/view.js';

const manifest = JSON.parse(
  readFileSync(new URL('../../../../sandbox-images/languages.json', import.meta.url), 'utf8'),
) as { languages: { id: string; versions: { series: string }[] }[] };

describe('Judge0 language ids', () => {
  // Judge0's own names for its ids (judge0 v1.13.1 db/languages/active.rb; judge0-python's
  // 1.14.0 table for 90+), and the MUSCode language each must run.
  const judge0Names: [number, string, string][] = [
    [45, 'Assembly (NASM 2.14.02)', 'assembly'],
    [46, 'Bash (5.0.0)', 'bash'],
    [50, 'C (GCC 9.2.0)', 'c'],
    [51, 'C# (Mono 6.6.0.161)', 'csharp'],
    [54, 'C++ (GCC 9.2.0)', 'cpp'],
    [55, 'Common Lisp (SBCL 2.0.0)', 'commonlisp'],
    [60, 'Go (1.13.5)', 'go'],
    [62, 'Java (OpenJDK 13.0.1)', 'java'],
    [63, 'JavaScript (Node.js 12.14.0)', 'javascript'],
    [71, 'Python (3.8.1)', 'python'],
    [72, 'Ruby (2.7.0)', 'ruby'],
    [73, 'Rust (1.40.0)', 'rust'],
    [74, 'TypeScript (3.7.4)', 'typescript'],
    [75, 'C (Clang 7.0.1)', 'c'],
    [76, 'C++ (Clang 7.0.1)', 'cpp'],
    [77, 'COBOL (GnuCOBOL 2.2)', 'cobol'],
    [78, 'Kotlin (1.3.70)', 'kotlin'],
    [79, 'Objective-C (Clang 7.0.1)', 'objective-c'],
    [80, 'R (4.0.0)', 'r'],
    [81, 'Scala (2.13.2)', 'scala'],
    [82, 'SQL (SQLite 3.27.2)', 'sql'],
    [83, 'Swift (5.2.3)', 'swift'],
    [85, 'Perl (5.28.1)', 'perl'],
    [86, 'Clojure (1.10.1)', 'clojure'],
    [88, 'Groovy (3.0.3)', 'groovy'],
    [91, 'Java (JDK 17.0.6)', 'java'],
    [92, 'Python (3.11.2)', 'python'],
    [93, 'JavaScript (Node.js 18.15.0)', 'javascript'],
    [94, 'TypeScript (5.0.3)', 'typescript'],
    [95, 'Go (1.18.5)', 'go'],
    [97, 'JavaScript (Node.js 20.17.0)', 'javascript'],
    [98, 'PHP (8.3.11)', 'php'],
    [99, 'R (4.4.1)', 'r'],
    [100, 'Python (3.12.5)', 'python'],
    [101, 'TypeScript (5.6.2)', 'typescript'],
    [102, 'JavaScript (Node.js 22.08.0)', 'javascript'],
    [103, 'C (GCC 14.1.0)', 'c'],
    [105, 'C++ (GCC 14.1.0)', 'cpp'],
    [106, 'Go (1.22.0)', 'go'],
    [107, 'Go (1.23.5)', 'go'],
    [108, 'Rust (1.85.0)', 'rust'],
    [109, 'Python (3.13.2)', 'python'],
    [110, 'C (Clang 19.1.7)', 'c'],
    [111, 'Kotlin (2.1.10)', 'kotlin'],
    [113, 'Python (3.14.0)', 'python'],
  ];

  it.each(judge0Names)('%i (%s) runs %s', (id, _name, language) => {
    expect(judge0Language(id)?.language).toBe(language);
  });

  it('leaves unmapped the ids of languages MUSCode does not have', () => {
    // 47 FreeBASIC (MUSCode's BASIC is Yabasic), 70 Python 2, 84 VB.NET, 87 F#, 90 Dart, 112 Scala 3.
    for (const id of [43, 44, 47, 70, 84, 87, 89, 90, 96, 112]) expect(judge0Language(id)).toBeUndefined();
  });

  it('names only series the manifest has', () => {
    for (const id of judge0Names.map(([id]) => id)) {
      const l = judge0Language(id)!;
      const lang = manifest.languages.find((m) => m.id === l.language);
      expect(
        lang?.versions.map((v) => v.series),
        `id ${id}`,
      ).toContain(l.series);
    }
  });
});

describe("Judge0's output comparison", () => {
  const m = (a: string, e: string) => outputsMatch(Buffer.from(a), Buffer.from(e));
  it('ignores trailing whitespace of lines and of the whole output', () => {
    expect(m('a  \nb\t\n\n\n', 'a\nb')).toBe(true);
    expect(m('a\r\nb\r\n', 'a\nb\n')).toBe(true);
  });
  it('keeps leading whitespace and leading blank lines significant', () => {
    expect(m('  a\n', 'a\n')).toBe(false);
    expect(m('\na\n', 'a\n')).toBe(false);
  });
  it('treats an empty stdout as nil: not equal to an expected output, even an empty one', () => {
    expect(m('', '')).toBe(false);
    expect(
      judge0StatusOf({
        status: 'completed',
        exitCode: 0,
        signal: null,
        stdout: Buffer.alloc(0),
        expectedOutput: null,
      }).id,
    ).toBe(3);
  });
});

describe('Judge0 statuses', () => {
  it("are Judge0's ids and names", () => {
    expect(judge0Statuses.map((s) => `${s.id} ${s.description}`)).toEqual([
      '1 In Queue',
      '2 Processing',
      '3 Accepted',
      '4 Wrong Answer',
      '5 Time Limit Exceeded',
      '6 Compilation Error',
      '7 Runtime Error (SIGSEGV)',
      '8 Runtime Error (SIGXFSZ)',
      '9 Runtime Error (SIGFPE)',
      '10 Runtime Error (SIGABRT)',
      '11 Runtime Error (NZEC)',
      '12 Runtime Error (Other)',
      '13 Internal Error',
      '14 Exec Format Error',
    ]);
  });
});

describe('Judge0 submission view', () => {
  it("writes base64 as Ruby's encode64 does (60-character lines, each ending in a newline)", () => {
    expect(rubyBase64(Buffer.from('hello, Judge0\n'))).toBe('aGVsbG8sIEp1ZGdlMAo=\n');
    const long = rubyBase64(Buffer.alloc(100, 'x'));
    expect(long.split('\n').map((l) => l.length)).toEqual([60, 60, 16, 0]);
  });

  it('refuses unknown fields by name, and takes * and the defaults', () => {
    expect(() => parseFields('stdout,nope,bad', ['token'])).toThrow(InvalidFields);
    expect(() => parseFields('stdout,nope,bad', ['token'])).toThrow('invalid fields: [nope, bad]');
    expect(parseFields('', ['token'])).toEqual(['token']);
    expect(parseFields('*', ['token'])).toContain('language');
  });

  const view = (over: Partial<ExecutionView>): ExecutionView => ({
    executionId: '00000000-0000-4000-8000-000000000000',
    language: 'c',
    version: '12.2.0',
    status: 'completed',
    output: '',
    outputEncoding: 'utf8',
    error: '',
    errorEncoding: 'utf8',
    outputTruncated: false,
    errorTruncated: false,
    executionTime: 0.5,
    cpuTime: 0.25,
    memoryUsed: 2,
    exitCode: 0,
    signal: null,
    signalName: null,
    compilationError: null,
    message: null,
    createdAt: null,
    startedAt: null,
    completedAt: null,
    artifacts: null,
    ...over,
  });
  const fields = ['time', 'memory', 'exit_code', 'exit_signal', 'wall_time', 'status_id'];

  it('clears the measurements of a compilation error, as Judge0 does', () => {
    const v = submissionView(view({ status: 'compile_error', compilationError: 'x' }), undefined, {
      base64: false,
      fields,
    });
    expect(v).toEqual({
      time: null,
      memory: null,
      exit_code: null,
      exit_signal: null,
      wall_time: null,
      status_id: 6,
    });
  });

  it('answers exit code 0 with the signal for a run a signal ended', () => {
    const v = submissionView(view({ status: 'runtime_error', exitCode: null, signal: 11 }), undefined, {
      base64: false,
      fields,
    });
    expect(v).toEqual({
      time: '0.250',
      memory: 2048,
      exit_code: 0,
      exit_signal: 11,
      wall_time: '0.500',
      status_id: 7,
    });
  });
});

describe('Judge0 submissions', () => {
  it("words a limit out of range as Rails' numericality does, in Judge0's units", () => {
    const err = (field: string, min: number, max: number) =>
      errors.validation(`${field} must be between…`, { field, min, max });
    const body = { language: 'c', timeout: 100000, memoryLimit: 1, fileSize: 10 };
    expect(limitInvalid(err('timeout', 1, 30), body)).toMatchObject({
      field: 'wall_time_limit',
      message: 'must be less than or equal to 30',
    });
    expect(limitInvalid(err('memoryLimit', 16, 2048), body)).toMatchObject({
      field: 'memory_limit',
      message: 'must be greater than or equal to 16384',
    });
    expect(limitInvalid(errors.validation('other', { field: 'code' }), body)).toBeNull();
  });

  it('sends base64 source and stdin as bytes, and UTF-8 source as text', () => {
    const latin1 = Buffer.from([0x70, 0xe9]);
    const raw = { language_id: 71, source_code: latin1.toString('base64'), stdin: latin1.toString('base64') };
    expect(parseSubmission(raw, true).body).toMatchObject({
      code: latin1.toString('base64'),
      codeEncoding: 'base64',
      stdin: latin1.toString('base64'),
      stdinEncoding: 'base64',
    });
    const text = parseSubmission(
      { language_id: 71, source_code: Buffer.from('print(1)').toString('base64') },
      true,
    );
    expect(text.body).toMatchObject({ code: 'print(1)' });
    expect(text.body.codeEncoding).toBeUndefined();
  });
});
