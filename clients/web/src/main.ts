import { MuscodeClient, MuscodeError, type Run, type Session } from '@muscode/client';

/** The playground: pick a language, write code, run it with live output and interactive input. */
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const sessionKey = 'muscode.session';

const stored = localStorage.getItem(sessionKey);
const saved = stored ? (JSON.parse(stored) as Session) : null;
const client = new MuscodeClient({
  token: saved?.token,
  refreshToken: saved?.refreshToken,
  onSession: (s) => {
    if (s) localStorage.setItem(sessionKey, JSON.stringify(s));
    else localStorage.removeItem(sessionKey);
    void showAccount();
  },
});

const editor = $<HTMLTextAreaElement>('code-editor');
const select = $<HTMLSelectElement>('language-select');
const stdin = $<HTMLTextAreaElement>('stdin');
const runButton = $<HTMLButtonElement>('run-button');
const stopButton = $<HTMLButtonElement>('stop-button');
const output = $<HTMLPreElement>('output');
const verdict = $<HTMLParagraphElement>('verdict');
const liveInput = $<HTMLInputElement>('live-input');
const liveSend = $<HTMLButtonElement>('live-send');
const dialog = $<HTMLDialogElement>('login-dialog');
let registering = false;
let current: Run | null = null;

const samples: Record<string, string> = {
  python: "name = input('Your name? ')\nprint('Hello,', name)\n",
  javascript: "console.log('Hello, World!');\n",
  c: '#include <stdio.h>\nint main(void) { puts("Hello, World!"); return 0; }\n',
};

// ANSI escape sequences are stripped (colours are not rendered); text is inserted as text only.
// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g;
const decoders: Record<string, TextDecoder> = {};

function append(stream: string, bytes: Uint8Array) {
  // A streaming decoder per stream keeps multi-byte characters split across chunks intact;
  // invalid UTF-8 becomes U+FFFD rather than garbage.
  const d = (decoders[stream] ??= new TextDecoder('utf-8', { fatal: false }));
  const text = d.decode(bytes, { stream: true }).replace(ansi, '');
  const span = document.createElement('span');
  span.className = stream;
  span.textContent = text;
  output.append(span);
  output.scrollTop = output.scrollHeight;
}

function setRunning(running: boolean) {
  runButton.disabled = running;
  stopButton.disabled = !running;
  liveInput.disabled = !running;
  liveSend.disabled = !running;
}

async function loadLanguages() {
  const langs = (await client.languages()) as {
    id: string;
    name: string;
    versions: { version: string; available: boolean }[];
  }[];
  select.replaceChildren();
  for (const l of langs) {
    const group = document.createElement('optgroup');
    group.label = l.name;
    const def = document.createElement('option');
    def.value = l.id;
    def.textContent = `${l.name} (newest)`;
    group.append(def);
    for (const v of l.versions.filter((x) => x.available)) {
      const o = document.createElement('option');
      o.value = `${l.id}@${v.version}`;
      o.textContent = `${l.name} ${v.version}`;
      group.append(o);
    }
    select.append(group);
  }
  select.value = 'python';
  if (!editor.value) editor.value = samples['python'] ?? '';
}

select.addEventListener('change', () => {
  const id = select.value.split('@')[0] ?? '';
  if (!editor.value.trim() || Object.values(samples).includes(editor.value)) editor.value = samples[id] ?? '';
});

async function run() {
  if (!client.token) {
    openLogin();
    return;
  }
  const [language, version] = select.value.split('@');
  output.replaceChildren();
  for (const k of Object.keys(decoders)) delete decoders[k];
  verdict.textContent = 'Queued…';
  verdict.className = '';
  setRunning(true);
  const r = client.run({
    language: language ?? 'python',
    version,
    code: editor.value,
    stdin: stdin.value || undefined,
    interactive: true,
  });
  current = r;
  if (stdin.value) r.closeStdin();
  try {
    for await (const e of r) {
      if (e.type === 'status' && e.status === 'running') verdict.textContent = 'Running…';
      if (e.type === 'output') append(e.stream, e.bytes);
      if (e.type === 'result') {
        const time = typeof e.executionTime === 'number' ? `${e.executionTime.toFixed(3)} s` : '–';
        const mem = typeof e.memoryUsed === 'number' ? `${e.memoryUsed} MB` : '–';
        verdict.textContent = `${e.status.replace(/_/g, ' ')} · exit ${e.exitCode ?? '–'} · ${time} · ${mem}`;
        verdict.className = e.status === 'completed' ? 'ok' : 'bad';
        verdict.dataset['status'] = e.status;
      }
    }
  } catch (err) {
    verdict.textContent = err instanceof MuscodeError ? `${err.code}: ${err.message}` : String(err);
    verdict.className = 'bad';
    verdict.dataset['status'] = err instanceof MuscodeError ? err.code : 'error';
  } finally {
    current = null;
    setRunning(false);
  }
}

runButton.addEventListener('click', () => void run());
stopButton.addEventListener('click', () => current?.cancel());
editor.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    void run();
  }
});
$<HTMLFormElement>('input-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (!current) return;
  current.stdin(`${liveInput.value}\n`);
  append('stdin', new TextEncoder().encode(`${liveInput.value}\n`));
  liveInput.value = '';
});

/* ---------------------------------------------------------------- account */

function openLogin() {
  $<HTMLParagraphElement>('login-error').textContent = '';
  dialog.showModal();
  $<HTMLInputElement>('login-email').focus();
}
function setRegistering(on: boolean) {
  registering = on;
  $<HTMLLabelElement>('username-row').hidden = !on;
  $<HTMLHeadingElement>('login-title').textContent = on ? 'Create an account' : 'Log in';
  $<HTMLButtonElement>('login-submit').textContent = on ? 'Create account' : 'Log in';
  $<HTMLButtonElement>('register-link').textContent = on ? 'I have an account' : 'Create an account';
}
$<HTMLButtonElement>('login-open').addEventListener('click', openLogin);
$<HTMLButtonElement>('login-cancel').addEventListener('click', () => dialog.close());
$<HTMLButtonElement>('register-link').addEventListener('click', () => setRegistering(!registering));
$<HTMLButtonElement>('logout').addEventListener(
  'click',
  () => void client.auth.logout().catch(() => undefined),
);
$<HTMLFormElement>('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const email = $<HTMLInputElement>('login-email').value;
  const password = $<HTMLInputElement>('login-password').value;
  const username =
    $<HTMLInputElement>('login-username').value || email.split('@')[0]!.replace(/[^A-Za-z0-9_]/g, '_');
  const p = registering
    ? client.auth.register({ email, password, username })
    : client.auth.login({ email, password });
  p.then(() => dialog.close()).catch((err: unknown) => {
    $<HTMLParagraphElement>('login-error').textContent =
      err instanceof MuscodeError ? err.message : 'Could not reach the server.';
  });
});

async function showAccount() {
  const loggedIn = client.token !== null;
  $<HTMLButtonElement>('login-open').hidden = loggedIn;
  $<HTMLButtonElement>('logout').hidden = !loggedIn;
  let who = '';
  if (loggedIn) {
    try {
      who = ((await client.auth.me()) as { username?: string; email?: string }).username ?? '';
    } catch {
      who = '';
    }
  }
  $<HTMLSpanElement>('whoami').textContent = who;
}

void showAccount();
loadLanguages().catch((err: unknown) => {
  verdict.textContent = `Could not load languages: ${String(err)}`;
});
