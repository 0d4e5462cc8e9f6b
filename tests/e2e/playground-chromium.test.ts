import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiUrl } from '../support/api.js';
import { randomId, root } from '../support/stack.js';

const shots = `${root}/.state/playground-screenshots`;
const origin = () => apiUrl().replace(/\/api\/v1$/, '');
const byId = (id: string) => `[data-testid="${id}"]`;

// The page's globals, for the functions that run in it (this file compiles without the DOM lib).
interface PageElement {
  id: string;
  className: string;
  textContent: string | null;
  labels?: ArrayLike<unknown> | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  activeElement: PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  documentElement: { scrollWidth: number };
};
declare const window: {
  muscode: { getCode(): string; setCode(text: string): void };
  outputStates: string[];
};
declare const MutationObserver: new (cb: () => void) => {
  observe(target: PageElement, opts: { childList: boolean; subtree: boolean }): void;
};

/**
 * The playground in Debian's headless Chromium (driven by playwright-core), against the test
 * stack's gateway: the flows of a user, one after the other in one logged-in page, and a second,
 * logged-out browser context for a shared link. Every step leaves a screenshot in
 * .state/playground-screenshots; any console error (a CSP violation is one) fails the test.
 */
describe('playground in headless Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  let shareLink = '';
  const code = () => page.evaluate(() => window.muscode.getCode());
  const setCode = (text: string) => page.evaluate((t) => window.muscode.setCode(t), text);
  /** A highlighted token of the editor: a span holding exactly that text. */
  const token = (text: string) =>
    page.locator(`${byId('code-editor')} .cm-content span`, { hasText: new RegExp(`^${text}$`) });
  const shot = (p: Page, name: string) => p.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
  const watchErrors = (p: Page) => {
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    p.on('pageerror', (e) => errors.push(e.message));
  };
  const verdict = async (p: Page = page) => {
    await p.waitForSelector(`${byId('verdict')}[data-status]`, { timeout: 45_000 });
    return p.getAttribute(byId('verdict'), 'data-status');
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watchErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('registers, streams lines one by one, answers input() from the page, shows the verdict', async () => {
    await page.goto(`${origin()}/`);
    await page.waitForSelector(`${byId('language-select')} option[value="python"]`, { state: 'attached' });
    await shot(page, '01-logged-out');
    // Every form control has a label a screen reader announces.
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, [contenteditable]')]
        .filter((el) => !el.labels?.length && !el.getAttribute('aria-label'))
        .map((el) => el.id || el.className),
    );
    expect(unlabelled).toEqual([]);

    // Keyboard: the controls take focus in reading order; the editor keeps Tab for indenting
    // until Escape, then Tab leaves it.
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
    await page.focus(byId('language-select'));
    const order: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order).toEqual(['run-button', 'save-name', 'save-button']);
    await page.click(`${byId('code-editor')} .cm-content`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('args');

    const id = randomId();
    await page.click(byId('login-open'));
    await page.click(byId('register-link'));
    await page.fill(byId('login-email'), `web-${id}@example.com`);
    await page.fill(byId('login-password'), `Secure-${id}-Pass1`);
    await shot(page, '02-register');
    await page.click(byId('login-submit'));
    await expect.poll(() => page.textContent(byId('whoami'))).toBe(`web_${id}`);

    // Typed by keyboard into CodeMirror, then replaced through the page's hook.
    await page.click(`${byId('code-editor')} .cm-content`);
    await page.keyboard.press('Control+a');
    await page.keyboard.type('print(42)');
    expect(await code()).toBe('print(42)');
    await setCode(
      "import time\nfor i in range(5):\n    print('line', i)\n    time.sleep(0.2)\nname = input('Name? ')\nprint('Hello', name)\n",
    );
    await expect.poll(() => page.textContent(`${byId('code-editor')} .cm-content`)).toContain('range(5)');
    // Highlighted (the grammar loads when the language is picked): keywords are tokens of their own.
    await expect.poll(() => token('import').count()).toBe(1);
    expect(await token('for').count()).toBe(1);

    // Every change of the output pane, as the text it then shows.
    await page.evaluate(() => {
      const out = document.querySelector('[data-testid="output"]')!;
      const seen: string[] = [];
      window.outputStates = seen;
      new MutationObserver(() => seen.push(out.textContent ?? '')).observe(out, {
        childList: true,
        subtree: true,
      });
    });
    await page.click(byId('run-button'));
    await page.locator(byId('output')).filter({ hasText: 'line 2' }).waitFor();
    await shot(page, '03-streaming');
    await page.locator(byId('output')).filter({ hasText: 'Name? ' }).waitFor();
    await page.fill(byId('live-input'), 'Ada');
    await shot(page, '04-input');
    await page.click(byId('live-send'));
    expect(await verdict()).toBe('completed');
    await shot(page, '05-verdict');
    const out = await page.textContent(byId('output'));
    expect(out).toBe('line 0\nline 1\nline 2\nline 3\nline 4\nName? Ada\nHello Ada\n');
    expect(await page.textContent(byId('verdict'))).toMatch(
      /^completed · exit 0 · \d+\.\d{3} s · [\d.]+ MB$/,
    );
    // The lines arrived one by one: the pane showed each line as its last before the next came.
    const states = await page.evaluate(() => window.outputStates);
    for (let i = 0; i < 5; i++) {
      const upTo = Array.from({ length: i + 1 }, (_, j) => `line ${j}\n`).join('');
      expect(states, `a state ending at line ${i}`).toContain(upTo);
    }
    // The run is in the history.
    await expect
      .poll(() => page.locator(`${byId('history')} li[data-status="completed"]`).count())
      .toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('shows a C compile error as such', async () => {
    await page.selectOption(byId('language-select'), 'c');
    await setCode('int main( { return 0; }\n');
    await expect.poll(() => token('return').count()).toBe(1);
    await page.click(byId('run-button'));
    expect(await verdict()).toBe('compile_error');
    expect(await page.textContent(byId('verdict'))).toMatch(/^compile error/);
    expect(await page.textContent(`${byId('output')} .compile`)).toMatch(/error/);
    await shot(page, '06-compile-error');
    expect(errors).toEqual([]);
  });

  it('Stop cancels a running program', async () => {
    await page.selectOption(byId('language-select'), 'python');
    await setCode("import time\nprint('started')\ntime.sleep(30)\nprint('never')\n");
    await page.click(byId('run-button'));
    await page.locator(byId('output')).filter({ hasText: 'started' }).waitFor();
    expect(await page.isEnabled(byId('stop-button'))).toBe(true);
    await page.click(byId('stop-button'));
    expect(await verdict()).toBe('cancelled');
    expect(await page.textContent(byId('output'))).toBe('started\n');
    expect(await page.isEnabled(byId('run-button'))).toBe(true);
    await shot(page, '07-stopped');
    expect(errors).toEqual([]);
  });

  it('saves a project with a folder, which is there after a reload, and runs it', async () => {
    await setCode("from lib.util import greet\nprint(greet('saved'))\n");
    await page.fill(byId('save-name'), 'My first project');
    await page.click(byId('save-button'));
    await expect.poll(() => page.textContent(byId('save-status'))).toBe('Saved');
    expect(new URL(page.url()).pathname).toMatch(/^\/p\/[A-Za-z0-9-]+$/);
    // A second file in a folder, written in the editor and saved.
    await page.fill(byId('new-file-path'), 'lib/util.py');
    await page.press(byId('new-file-path'), 'Enter');
    await expect.poll(() => page.textContent(byId('current-file'))).toBe('lib/util.py');
    await setCode("def greet(x):\n    return 'hello ' + x\n");
    await page.click(byId('save-button'));
    await expect.poll(() => page.textContent(byId('save-status'))).toBe('Saved');

    await page.reload();
    await expect.poll(() => page.textContent(byId('project-list'))).toContain('My first project');
    await expect.poll(() => page.textContent(byId('project-name'))).toBe('My first project');
    expect(await page.textContent(`${byId('file-tree')} summary`)).toBe('lib/');
    await page.click(`${byId('file-tree')} button[data-file="lib/util.py"]`);
    expect(await code()).toBe("def greet(x):\n    return 'hello ' + x\n");
    await page.click(`${byId('file-tree')} button[data-file="main.py"]`);
    expect(await code()).toBe("from lib.util import greet\nprint(greet('saved'))\n");
    await page.click(byId('project-run-button'));
    expect(await verdict()).toBe('completed');
    expect(await page.textContent(byId('output'))).toBe('hello saved\n');
    // Run (over the WebSocket, with the open files and an unsaved edit) takes the folder too.
    await setCode("from lib.util import greet\nprint(greet('unsaved'))\n");
    await page.click(byId('run-button'));
    expect(await verdict()).toBe('completed');
    expect(await page.textContent(byId('output'))).toBe('hello unsaved\n');
    await page.click(byId('star-button'));
    await expect.poll(() => page.textContent(byId('star-button'))).toBe('★ Starred (1)');
    await shot(page, '08-project-saved');
    expect(errors).toEqual([]);
  });

  it('shares a public link that opens logged out and read-only, also at phone width', async () => {
    await page.selectOption(byId('visibility'), 'public');
    await page.waitForSelector(byId('share-link'));
    shareLink = (await page.getAttribute(byId('share-link'), 'href'))!;
    expect(shareLink).toMatch(/^\/p\/[A-Za-z0-9-]+$/);
    await shot(page, '09-shared');

    const guest = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const other = await guest.newPage();
    watchErrors(other);
    await other.goto(`${origin()}${shareLink}`);
    await expect.poll(() => other.textContent(byId('project-name'))).toBe('My first project');
    expect(await other.isVisible(byId('login-open'))).toBe(true);
    expect(await other.textContent(byId('project-meta'))).toContain('read-only');
    expect(await other.isDisabled(byId('save-button'))).toBe(true);
    expect(await other.getAttribute(`${byId('code-editor')} .cm-content`, 'contenteditable')).toBe('false');
    expect(await other.textContent(`${byId('code-editor')} .cm-content`)).toContain('greet');
    // Nothing wider than the phone's screen.
    expect(await other.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(other, '10-shared-logged-out-phone');
    // Fork asks a logged-out visitor to log in; once registered, the fork is theirs to edit.
    await other.click(byId('fork-button'));
    const gid = randomId();
    await other.click(byId('register-link'));
    await other.fill(byId('login-email'), `guest-${gid}@example.com`);
    await other.fill(byId('login-password'), `Secure-${gid}-Pass1`);
    await other.click(byId('login-submit'));
    await expect.poll(() => other.textContent(byId('whoami'))).toBe(`guest_${gid}`);
    await other.click(byId('fork-button'));
    await expect.poll(() => other.textContent(byId('save-status'))).toBe('Forked: this copy is yours');
    expect(new URL(other.url()).pathname).not.toBe(shareLink);
    expect(await other.textContent(byId('project-meta'))).not.toContain('read-only');
    expect(await other.isEnabled(byId('save-button'))).toBe(true);
    await expect.poll(() => other.textContent(byId('project-list'))).toContain('My first project');
    await shot(other, '11-forked-phone');
    await guest.close();

    await page.click(byId('logout'));
    await expect.poll(() => page.isVisible(byId('login-open'))).toBe(true);
    // Logged out, the owner's own page of the public project turns read-only too.
    await expect.poll(() => page.textContent(byId('project-meta'))).toContain('read-only');
    expect(await page.isDisabled(byId('save-button'))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('serves the API docs at /docs: Swagger UI from this origin, on the OpenAPI document, under the CSP', async () => {
    const docs = await context.newPage();
    watchErrors(docs);
    const outside: string[] = [];
    docs.on('request', (r) => {
      if (!r.url().startsWith(origin())) outside.push(r.url());
    });
    await docs.goto(`${origin()}/docs`);
    await docs.waitForSelector('.swagger-ui .opblock-summary-path');
    expect(await docs.textContent('.swagger-ui .title')).toContain('MUSCode API');
    const paths = await docs.locator('.opblock-summary-path').allTextContents();
    expect(paths.map((p) => p.replace(/\u200b/g, ''))).toContain('/api/v1/execute');
    expect(outside).toEqual([]);
    await shot(docs, '12-docs');
    await docs.close();
    expect(errors).toEqual([]);
  });
});
