import { EditorState, Compartment, type Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { indentWithTab } from '@codemirror/commands';
import { StreamLanguage } from '@codemirror/language';
/**
 * Highlighting per language id of GET /languages, each loaded when first picked (its own chunk:
 * the page does not wait for grammars it may never use); a language not listed is plain text.
 */
const legacy = async (load: () => Promise<Parameters<typeof StreamLanguage.define>[0]>) =>
  StreamLanguage.define(await load());
const modes: Record<string, () => Promise<Extension>> = {
  python: async () => (await import('@codemirror/lang-python')).python(),
  pypy: async () => (await import('@codemirror/lang-python')).python(),
  javascript: async () => (await import('@codemirror/lang-javascript')).javascript(),
  typescript: async () => (await import('@codemirror/lang-javascript')).javascript({ typescript: true }),
  c: async () => (await import('@codemirror/lang-cpp')).cpp(),
  cpp: async () => (await import('@codemirror/lang-cpp')).cpp(),
  java: async () => (await import('@codemirror/lang-java')).java(),
  rust: async () => (await import('@codemirror/lang-rust')).rust(),
  go: async () => (await import('@codemirror/lang-go')).go(),
  ruby: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/ruby')).ruby),
  bash: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/shell')).shell),
  lua: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/lua')).lua),
  haskell: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/haskell')).haskell),
  csharp: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/clike')).csharp),
  kotlin: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/clike')).kotlin),
  scala: () => legacy(async () => (await import('@codemirror/legacy-modes/mode/clike')).scala),
};

/** Whether a language has highlighting of its own (else the plain fallback). */
export const highlighted = (languageId: string) => languageId in modes;

export interface CodeEditor {
  view: EditorView;
  get(): string;
  set(text: string): void;
  setLanguage(languageId: string): void;
  setReadOnly(readOnly: boolean): void;
  onChange(fn: () => void): void;
}

// CodeMirror injects its styles at run time. In a document that means a <style> element, which
// the gateway's CSP (style-src 'self') blocks; in a shadow root it uses a constructed stylesheet
// (adoptedStyleSheets), which CSP allows. So the editor lives in an open shadow root of `parent`
// and its look is a CodeMirror theme rather than rules in style.css.
const theme = EditorView.theme({
  '&': { minHeight: '18rem', maxHeight: '60vh', fontSize: '14px', backgroundColor: '#fff' },
  '.cm-scroller': { fontFamily: 'ui-monospace, monospace', overflow: 'auto' },
  '&.cm-focused': { outline: '3px solid #0969da', outlineOffset: '1px' },
});

/**
 * CodeMirror 6 in `parent`; `label` names it for screen readers. Tab indents (Escape then Tab
 * leaves the editor, CodeMirror's own rule, so keyboard users are not trapped); Ctrl/Cmd+Enter
 * calls `onRun`.
 */
export function createEditor(parent: HTMLElement, label: string, onRun: () => void): CodeEditor {
  const language = new Compartment();
  const readOnly = new Compartment();
  const listeners: (() => void)[] = [];
  let wanted = '';
  const root = parent.attachShadow({ mode: 'open' });
  const view = new EditorView({
    root,
    parent: root,
    state: EditorState.create({
      extensions: [
        keymap.of([
          {
            key: 'Mod-Enter',
            run: () => {
              onRun();
              return true;
            },
          },
          indentWithTab,
        ]),
        basicSetup,
        theme,
        language.of([]),
        readOnly.of([]),
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) for (const fn of listeners) fn();
        }),
      ],
    }),
  });
  return {
    view,
    get: () => view.state.doc.toString(),
    set: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    setLanguage: (id) => {
      wanted = id;
      const load = modes[id];
      if (!load) return view.dispatch({ effects: language.reconfigure([]) });
      // A grammar that arrives after another language was picked is dropped.
      load()
        .then((ext) => {
          if (wanted === id) view.dispatch({ effects: language.reconfigure(ext) });
        })
        .catch(() => view.dispatch({ effects: language.reconfigure([]) }));
    },
    setReadOnly: (on) =>
      view.dispatch({
        effects: readOnly.reconfigure(
          on ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : [],
        ),
      }),
    onChange: (fn) => listeners.push(fn),
  };
}
