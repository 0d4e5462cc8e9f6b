/** The output pane: chunks as text (never HTML), stdout/stderr/compile told apart by class. */

// ANSI escape sequences are stripped (colours are not rendered).
// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g;

export function createOutput(pre: HTMLElement) {
  let decoders: Record<string, TextDecoder> = {};
  return {
    clear() {
      pre.replaceChildren();
      decoders = {};
    },
    /**
     * A streaming decoder per stream keeps multi-byte characters split across chunks intact;
     * invalid UTF-8 becomes U+FFFD rather than garbage.
     */
    append(stream: string, bytes: Uint8Array) {
      const d = (decoders[stream] ??= new TextDecoder('utf-8', { fatal: false }));
      const span = document.createElement('span');
      span.className = stream;
      span.dataset['stream'] = stream;
      span.textContent = d.decode(bytes, { stream: true }).replace(ansi, '');
      pre.append(span);
      pre.scrollTop = pre.scrollHeight;
    },
  };
}
