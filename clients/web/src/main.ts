import { MuscodeClient, MuscodeError, type Run, type RunEvent, type Session } from '@muscode/client';
import { createEditor } from './editor.js';
import { createOutput } from './output.js';
import { filePath, renderTree, splitPath, type Project, type ProjectFile } from './projects.js';

/**
 * The playground: pick a language, write code, run it with live output and interactive input;
 * log in to keep projects (a file tree, save, fork, star, share) and see the run history.
 * A project opens at /p/<id>: read-only for anyone but its owner.
 */
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const sessionKey = 'muscode.session';

interface Language {
  id: string;
  name: string;
  mainFile: string;
  versions: { version: string; available: boolean }[];
}

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

const select = $<HTMLSelectElement>('language-select');
const stdin = $<HTMLTextAreaElement>('stdin');
const argsInput = $<HTMLInputElement>('args');
const runButton = $<HTMLButtonElement>('run-button');
const stopButton = $<HTMLButtonElement>('stop-button');
const saveButton = $<HTMLButtonElement>('save-button');
const saveName = $<HTMLInputElement>('save-name');
const saveStatus = $<HTMLSpanElement>('save-status');
const verdict = $<HTMLParagraphElement>('verdict');
const liveInput = $<HTMLInputElement>('live-input');
const liveSend = $<HTMLButtonElement>('live-send');
const dialog = $<HTMLDialogElement>('login-dialog');
const output = createOutput($<HTMLPreElement>('output'));
const editor = createEditor($('code-editor'), 'Source code', () => void run());

let languages: Language[] = [];
let registering = false;
let current: Run | null = null;
/** The open project (null: a scratch buffer), its files with their content, the file in the editor. */
let project: Project | null = null;
let files: ProjectFile[] = [];
let openFile: ProjectFile | null = null;
let dirty = false;

const samples: Record<string, string> = {
  python: "name = input('Your name? ')\nprint('Hello,', name)\n",
  javascript: "console.log('Hello, World!');\n",
  c: '#include <stdio.h>\nint main(void) { puts("Hello, World!"); return 0; }\n',
};

/** A stable hook for browser tests and tools: read or replace the editor's text. */
(window as unknown as { muscode: object }).muscode = { getCode: editor.get, setCode: editor.set };

editor.onChange(() => {
  dirty = true;
  if (openFile) openFile.content = editor.get();
  saveStatus.textContent = project ? 'Unsaved changes' : '';
});

const languageId = () => select.value.split('@')[0] ?? '';
const language = () => languages.find((l) => l.id === languageId());

function setRunning(running: boolean) {
  runButton.disabled = running;
  $<HTMLButtonElement>('project-run-button').disabled = running;
  stopButton.disabled = !running;
  liveInput.disabled = !running;
  liveSend.disabled = !running;
}

async function loadLanguages() {
  languages = (await client.languages()) as Language[];
  select.replaceChildren();
  for (const l of languages) {
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
  select.value = project?.language ?? 'python';
  editor.setLanguage(languageId());
  if (!editor.get() && !project) editor.set(samples['python'] ?? '');
}

select.addEventListener('change', () => {
  editor.setLanguage(languageId());
  if (project) return;
  const text = editor.get();
  if (!text.trim() || Object.values(samples).includes(text)) editor.set(samples[languageId()] ?? '');
});

/* ------------------------------------------------------------------ running */

function showResult(e: Extract<RunEvent, { type: 'result' }>) {
  const time = typeof e.executionTime === 'number' ? `${e.executionTime.toFixed(3)} s` : '–';
  const mem = typeof e.memoryUsed === 'number' ? `${e.memoryUsed} MB` : '–';
  verdict.textContent =
    e.status === 'compile_error'
      ? "compile error: the compiler's messages are in the output"
      : `${e.status.replace(/_/g, ' ')} · exit ${e.exitCode ?? '–'} · ${time} · ${mem}`;
  verdict.className = e.status === 'completed' ? 'ok' : 'bad';
  verdict.dataset['status'] = e.status;
}

async function follow(r: Run) {
  current = r;
  setRunning(true);
  try {
    for await (const e of r) {
      if (e.type === 'status' && e.status === 'running') verdict.textContent = 'Running…';
      if (e.type === 'output') output.append(e.stream, e.bytes);
      if (e.type === 'result') showResult(e);
    }
  } catch (err) {
    verdict.textContent = err instanceof MuscodeError ? `${err.code}: ${err.message}` : String(err);
    verdict.className = 'bad';
    verdict.dataset['status'] = err instanceof MuscodeError ? err.code : 'error';
  } finally {
    current = null;
    setRunning(false);
    void loadHistory();
  }
}

function startRun() {
  output.clear();
  verdict.textContent = 'Queued…';
  verdict.className = '';
  delete verdict.dataset['status'];
}

/** Runs the editor's text, or the open project's files with their unsaved edits. */
async function run() {
  if (current) return;
  if (!client.token) return openLogin();
  const [lang, version] = select.value.split('@');
  startRun();
  const args = argsInput.value.split(/\s+/).filter(Boolean);
  const source =
    project && files.length > 0
      ? {
          files: files.map((f) => ({ name: f.name, path: f.path ?? '/', content: f.content ?? '' })),
          mainFile: filePath(files.find((f) => f.isMain) ?? openFile ?? files[0]!),
        }
      : { code: editor.get() };
  const r = client.run({
    language: lang ?? 'python',
    ...(version ? { version } : {}),
    ...(args.length ? { args } : {}),
    ...source,
    stdin: stdin.value || undefined,
    interactive: true,
  });
  if (stdin.value) r.closeStdin();
  await follow(r);
}

/** Runs the saved project on the server (POST /projects/{id}/run) and follows it live. */
async function runProject() {
  if (!project || current) return;
  if (!client.token) return openLogin();
  startRun();
  try {
    const { executionId } = (await client.projects.run(project.id, {
      stdin: stdin.value || undefined,
    })) as { executionId: string };
    await follow(client.run({ executionId }));
  } catch (err) {
    verdict.textContent = err instanceof MuscodeError ? err.message : String(err);
    verdict.className = 'bad';
  }
}

runButton.addEventListener('click', () => void run());
stopButton.addEventListener('click', () => current?.cancel());
$<HTMLButtonElement>('project-run-button').addEventListener('click', () => void runProject());
$<HTMLFormElement>('input-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (!current) return;
  current.stdin(`${liveInput.value}\n`);
  output.append('stdin', new TextEncoder().encode(`${liveInput.value}\n`));
  liveInput.value = '';
});

/* ------------------------------------------------------------------ projects */

function projectIdFromUrl(): string | null {
  return /^\/p\/([A-Za-z0-9-]{1,64})$/.exec(location.pathname)?.[1] ?? null;
}

async function loadProjects() {
  const list = $<HTMLUListElement>('project-list');
  const hint = $<HTMLParagraphElement>('projects-hint');
  if (!client.token) {
    hint.textContent = 'Log in to keep projects.';
    return list.replaceChildren();
  }
  const { projects } = (await client.projects.list({ limit: 50 })) as { projects: Project[] };
  hint.textContent = projects.length === 0 ? 'No projects yet: Save keeps the code as one.' : '';
  list.replaceChildren(
    ...projects.map((p) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = `/p/${p.id}`;
      a.textContent = p.name;
      a.dataset['projectId'] = p.id;
      if (p.id === project?.id) a.setAttribute('aria-current', 'page');
      a.addEventListener('click', (e) => {
        e.preventDefault();
        history.pushState(null, '', a.href);
        void openProject(p.id);
      });
      const lang = document.createElement('small');
      lang.textContent = ` ${p.language} · ${p.visibility}`;
      li.append(a, lang);
      return li;
    }),
  );
}

async function openProject(id: string) {
  try {
    const p = (await client.projects.get(id)) as Project;
    // File content comes with the project up to the answer's size bound; a file left out
    // (`content: null`, `contentOmitted: true`) is read from its own route.
    files = await Promise.all(
      (p.files ?? []).map(async (f) =>
        typeof f.content === 'string' ? f : ((await client.files.get(p.id, f.id)) as ProjectFile),
      ),
    );
    project = p;
    const main = files.find((f) => f.isMain) ?? files[0] ?? null;
    showProject();
    if (main) openInEditor(main);
    if (languages.some((l) => l.id === p.language)) select.value = p.language;
    editor.setLanguage(p.language);
    void loadProjects();
  } catch (err) {
    const gone = err instanceof MuscodeError && err.status === 404;
    saveStatus.textContent = gone ? 'No such project (or not shared).' : String(err);
    // A private project closes on logout: nothing of it stays on the screen.
    if (gone && project?.id === id) {
      project = null;
      files = [];
      openFile = null;
      editor.setReadOnly(false);
      saveButton.disabled = false;
      saveName.disabled = false;
      $('current-file').textContent = '';
      showProject();
      history.replaceState(null, '', '/');
    }
  }
}

const readOnly = () => project !== null && project.isOwner !== true;

function showProject() {
  const p = project;
  $('project').hidden = p === null;
  if (!p) return;
  $('project-name').textContent = p.name;
  const owner = typeof p.owner === 'string' ? p.owner : (p.owner?.username ?? '');
  $('project-meta').textContent =
    `${p.language} · ${p.visibility}${owner ? ` · by ${owner}` : ''}${readOnly() ? ' · read-only' : ''}`;
  for (const el of document.querySelectorAll<HTMLElement>('.owner-only')) el.hidden = readOnly();
  saveButton.disabled = readOnly();
  saveName.value = p.name;
  saveName.disabled = readOnly();
  editor.setReadOnly(readOnly());
  const star = $<HTMLButtonElement>('star-button');
  star.textContent = `${p.starred ? '★ Starred' : '☆ Star'} (${p.starCount ?? 0})`;
  star.setAttribute('aria-pressed', String(p.starred === true));
  $<HTMLSelectElement>('visibility').value = p.visibility;
  const link = $<HTMLAnchorElement>('share-link');
  link.href = `/p/${p.id}`;
  link.textContent = `${location.origin}/p/${p.id}`;
  $('share').hidden = p.visibility === 'private';
  renderFiles();
}

function renderFiles() {
  $('file-tree').replaceChildren(...renderTree(files, openFile ? filePath(openFile) : null, openInEditor));
}

function openInEditor(f: ProjectFile) {
  openFile = f;
  editor.set(f.content ?? '');
  dirty = false;
  saveStatus.textContent = '';
  $('current-file').textContent = readOnly()
    ? `${filePath(f)} (read-only: fork it to edit a copy)`
    : filePath(f);
  renderFiles();
}

/** Saves the open project's changed files, or makes a new project of the editor's text. */
async function save() {
  if (!client.token) return openLogin();
  if (readOnly()) return;
  saveStatus.textContent = 'Saving…';
  try {
    if (!project) {
      const lang = language();
      const created = (await client.projects.create({
        name: saveName.value.trim() || 'Untitled',
        language: lang?.id ?? 'python',
      })) as Project;
      await client.files.create(created.id, {
        ...splitPath(lang?.mainFile ?? 'main.py'),
        content: editor.get(),
        isMain: true,
      });
      history.pushState(null, '', `/p/${created.id}`);
      await openProject(created.id);
    } else {
      const name = saveName.value.trim();
      if (name && name !== project.name) await client.projects.update(project.id, { name });
      for (const f of files) await client.files.update(project.id, f.id, { content: f.content ?? '' });
      await openProject(project.id);
    }
    dirty = false;
    saveStatus.textContent = 'Saved';
  } catch (err) {
    saveStatus.textContent = err instanceof MuscodeError ? err.message : String(err);
  }
}
saveButton.addEventListener('click', () => void save());

$<HTMLFormElement>('new-file-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('new-file-path');
  if (!project || !input.value.trim()) return;
  client.files
    .create(project.id, { ...splitPath(input.value.trim()), content: '' })
    .then(async (f) => {
      input.value = '';
      await openProject(project!.id);
      const made = files.find((x) => x.id === (f as ProjectFile).id);
      if (made) openInEditor(made);
    })
    .catch((err: unknown) => {
      saveStatus.textContent = err instanceof MuscodeError ? err.message : String(err);
    });
});

$<HTMLButtonElement>('fork-button').addEventListener('click', () => {
  if (!project) return;
  if (!client.token) return openLogin();
  client.projects
    .fork(project.id)
    .then(async (f) => {
      const id = (f as Project).id;
      history.pushState(null, '', `/p/${id}`);
      await openProject(id);
      saveStatus.textContent = 'Forked: this copy is yours';
    })
    .catch((err: unknown) => (saveStatus.textContent = String(err)));
});

$<HTMLButtonElement>('star-button').addEventListener('click', () => {
  if (!project) return;
  if (!client.token) return openLogin();
  const p = project;
  (p.starred ? client.projects.unstar(p.id) : client.projects.star(p.id))
    .then((s: { starred: boolean; starCount: number }) => {
      p.starred = s.starred;
      p.starCount = s.starCount;
      showProject();
    })
    .catch((err: unknown) => (saveStatus.textContent = String(err)));
});

$<HTMLSelectElement>('visibility').addEventListener('change', (e) => {
  if (!project) return;
  const visibility = (e.target as HTMLSelectElement).value as Project['visibility'];
  const p = project;
  client.projects
    .update(p.id, { visibility })
    .then(() => {
      p.visibility = visibility;
      showProject();
      void loadProjects();
    })
    .catch((err: unknown) => (saveStatus.textContent = String(err)));
});

window.addEventListener('popstate', () => {
  const id = projectIdFromUrl();
  if (id) void openProject(id);
});
window.addEventListener('beforeunload', (e) => {
  if (dirty && project && !readOnly()) e.preventDefault();
});

/* ------------------------------------------------------------------ history */

async function loadHistory() {
  const list = $<HTMLOListElement>('history');
  $('history-title').hidden = client.token === null;
  if (!client.token) return list.replaceChildren();
  const { executions } = (await client.executions.history({ limit: 10 })) as {
    executions: { executionId?: string; id?: string; language: string; status: string; createdAt?: string }[];
  };
  list.replaceChildren(
    ...executions.map((x) => {
      const li = document.createElement('li');
      const when = x.createdAt ? new Date(x.createdAt).toLocaleTimeString() : '';
      li.textContent = `${x.language} · ${x.status.replace(/_/g, ' ')}${when ? ` · ${when}` : ''}`;
      li.dataset['status'] = x.status;
      return li;
    }),
  );
  if (executions.length === 0)
    list.replaceChildren(
      Object.assign(document.createElement('li'), { textContent: 'No runs yet.', className: 'empty' }),
    );
}

/* ------------------------------------------------------------------ account */

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
      who = ((await client.auth.me()) as { username?: string }).username ?? '';
    } catch {
      who = '';
    }
  }
  $<HTMLSpanElement>('whoami').textContent = who;
  await Promise.all([loadProjects(), loadHistory()]).catch(() => undefined);
  if (project) await openProject(project.id);
}

void showAccount();
loadLanguages()
  .then(() => {
    const id = projectIdFromUrl();
    if (id) return openProject(id);
    return undefined;
  })
  .catch((err: unknown) => {
    verdict.textContent = `Could not load languages: ${String(err)}`;
  });
