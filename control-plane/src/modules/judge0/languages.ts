/**
 * The stable table of Judge0 `language_id`s. Where Judge0 CE has the language, the id is
 * Judge0's own and runs MUSCode's nearest version series (MUSCode runs its own versions, not
 * Judge0's); MUSCode-only languages have ids from 1001. Ids are never reused or renumbered.
 *
 * Checked against (ids and the language each names):
 * - judge0/judge0 v1.13.1 (ffd7a48cc6da86d6ac155ef10dbd67d02736070b), db/languages/active.rb:
 *   ids 43–89 (45 NASM … 88 Groovy, 89 Multi-file program).
 * - judge0/judge0-python (de675821b9f0018e237a6c9ad698f452c8bb3140), src/judge0/data.py: the
 *   ids of Judge0 CE 1.14.0 (the public ce.judge0.com), which adds 90–113 (91 Java JDK 17,
 *   92 Python 3.11, 93 Node 18, 94 TypeScript 5.0, 95 Go 1.18, 97 Node 20, 98 PHP 8.3, 99 R 4.4,
 *   100 Python 3.12, 101 TypeScript 5.6, 102 Node 22, 103/105 GCC 14, 104/110 Clang 18/19 C,
 *   106/107 Go 1.22/1.23, 108 Rust 1.85, 109 Python 3.13, 111 Kotlin 2.1, 112 Scala 3,
 *   113 Python 3.14).
 * Not mapped, because MUSCode has no such language or a different one under the name:
 * 43 Plain Text, 44 Executable, 47 FreeBASIC (MUSCode's BASIC is Yabasic), 70 Python 2,
 * 84 VB.NET, 87 F#, 89 Multi-file, 90 Dart, 96 JavaFX, 112 Scala 3 (MUSCode has Scala 2 only).
 * Compilers differ where MUSCode has one compiler for the language: the Clang ids (75, 76, 104,
 * 110) compile with GCC, D (56) with GDC, Prolog (69, GNU Prolog in Judge0) is SWI-Prolog.
 */
export interface Judge0Language {
  id: number;
  /** The MUSCode language id. */
  language: string;
  /** The version series (a semver range over the manifest's versions). */
  series: string;
}

const row = (id: number, language: string, series: string): Judge0Language => ({ id, language, series });

export const judge0Languages: readonly Judge0Language[] = [
  row(45, 'assembly', '2.16'),
  row(46, 'bash', '5.2'),
  row(48, 'c', '12'),
  row(49, 'c', '12'),
  row(50, 'c', '12'),
  row(75, 'c', '12'),
  row(103, 'c', '14'),
  row(104, 'c', '14'),
  row(110, 'c', '14'),
  row(52, 'cpp', '12'),
  row(53, 'cpp', '12'),
  row(54, 'cpp', '12'),
  row(76, 'cpp', '12'),
  row(105, 'cpp', '14'),
  row(86, 'clojure', '1.11'),
  row(51, 'csharp', '6.12'),
  row(77, 'cobol', '3.1'),
  row(55, 'commonlisp', '2.2'),
  row(56, 'd', '12'),
  row(57, 'elixir', '1.14'),
  row(58, 'erlang', '25'),
  row(59, 'fortran', '12'),
  row(60, 'go', '1.19'),
  row(95, 'go', '1.19'),
  row(106, 'go', '1.24'),
  row(107, 'go', '1.24'),
  row(88, 'groovy', '2.4'),
  row(61, 'haskell', '9.0'),
  row(62, 'java', '17'),
  row(91, 'java', '17'),
  row(63, 'javascript', '18'),
  row(93, 'javascript', '18'),
  row(97, 'javascript', '20'),
  row(102, 'javascript', '20'),
  row(78, 'kotlin', '1.3'),
  row(111, 'kotlin', '1.3'),
  row(64, 'lua', '5.4'),
  row(79, 'objective-c', '12'),
  row(65, 'ocaml', '4.13'),
  row(66, 'octave', '9.4'),
  row(67, 'pascal', '3.2'),
  row(85, 'perl', '5.36'),
  row(68, 'php', '8.2'),
  row(98, 'php', '8.4'),
  row(69, 'prolog', '9.0'),
  row(71, 'python', '3.11'),
  row(92, 'python', '3.11'),
  row(100, 'python', '3.13'),
  row(109, 'python', '3.13'),
  row(113, 'python', '3.13'),
  row(80, 'r', '4.2'),
  row(99, 'r', '4.5'),
  row(72, 'ruby', '3.1'),
  row(73, 'rust', '1.63'),
  row(108, 'rust', '1.85'),
  row(81, 'scala', '2.11'),
  row(82, 'sql', '3.40'),
  row(83, 'swift', '6.0'),
  row(74, 'typescript', '4.8'),
  row(94, 'typescript', '5.9'),
  row(101, 'typescript', '5.9'),
  // MUSCode-only languages (and series Judge0 has no id for).
  row(1001, 'ada', '12'),
  row(1002, 'nim', '1.6'),
  row(1003, 'tcl', '8.6'),
  row(1004, 'awk', '5.2'),
  row(1005, 'scheme', '3.0'),
  row(1006, 'pypy', '7.3'),
  row(1007, 'hy', '1.0'),
  row(1008, 'coffeescript', '2.7'),
  row(1009, 'assembly', '2.16'),
  row(1010, 'modula2', '14'),
  row(1011, 'vala', '0.56'),
  row(1012, 'crystal', '1.14'),
  row(1013, 'racket', '8.16'),
  row(1014, 'raku', '2024.9'),
  row(1015, 'basic', '2.91'),
  row(1016, 'brainfuck', '1.2'),
  row(1017, 'rexx', '3.9'),
  row(1018, 'algol68', '3.1'),
  row(1019, 'pike', '8.0'),
  row(1020, 'haxe', '4.3'),
  row(1021, 'fennel', '1.5'),
  row(1022, 'zsh', '5.9'),
  row(1023, 'jq', '1.7'),
  row(1024, 'elisp', '30.1'),
  row(1025, 'java', '21'),
  row(1026, 'java', '25'),
  row(1027, 'go', '1.24'),
  row(1028, 'clojure', '1.12'),
  row(1029, 'elixir', '1.18'),
  row(1030, 'erlang', '27'),
  row(1031, 'haskell', '9.6'),
  row(1032, 'ocaml', '5.3'),
  row(1033, 'ruby', '3.3'),
  row(1034, 'perl', '5.40'),
  row(1035, 'commonlisp', '2.5'),
  row(1036, 'prolog', '9.2'),
  row(1037, 'sql', '3.46'),
  row(1038, 'cobol', '3.2'),
  row(1039, 'csharp', '6.8'),
  row(1040, 'fortran', '14'),
  row(1041, 'd', '14'),
  row(1042, 'objective-c', '14'),
  row(1043, 'ada', '14'),
];

const byId = new Map(judge0Languages.map((l) => [l.id, l]));

export function judge0Language(id: number): Judge0Language | undefined {
  return byId.get(id);
}
