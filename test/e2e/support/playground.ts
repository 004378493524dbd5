import type { Page } from 'playwright-core';

/** What the page functions below touch of the page (the tests compile without the DOM library). */
interface CodeMirrorElement {
  CodeMirror: { getValue(): string; documentAST?: { loc?: { source?: { body?: string } } } | null };
}
interface PageGlobals {
  document: { querySelector(selector: string): unknown };
}

/** CodeMirror 5 (GraphiQL 4's editor) keeps its editor object on its element. Runs in the page. */
function resultText(): string {
  const element = (globalThis as unknown as PageGlobals).document.querySelector('.result-window .CodeMirror') as CodeMirrorElement | null;
  return element?.CodeMirror.getValue() ?? '';
}

/**
 * GraphiQL re-parses the query editor's text 100 ms after a change, and its run button acts on that parse (with
 * several operations it opens a menu instead of running): true once the parse is of the text shown. Runs in the page.
 */
function queryParsed(): boolean {
  const element = (globalThis as unknown as PageGlobals).document.querySelector('.graphiql-query-editor .CodeMirror') as CodeMirrorElement | null;
  const editor = element?.CodeMirror;
  return editor !== undefined && editor.documentAST?.loc?.source?.body === editor.getValue();
}

/** The keys of this origin's localStorage that name a session (the playground's own key among them). Runs in the page. */
function storedSessionKeys(): string {
  const storage = (globalThis as unknown as { localStorage: { length: number; key(i: number): string | null } }).localStorage;
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) keys.push(storage.key(i) ?? '');
  return JSON.stringify(keys.filter((key) => key.includes('session')));
}

const FAILURE_SCREENSHOT = '/tmp/chat4all-playground-failure.png';

/** The playground page as a person uses it: the login bar above GraphiQL's editors and its run button. */
export class PlaygroundPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.locator('.graphiql-container').waitFor();
  }

  async logIn(username: string, password: string): Promise<void> {
    await this.page.getByPlaceholder('username').fill(username);
    await this.page.getByPlaceholder('password').fill(password);
    await this.page.getByRole('button', { name: 'Log in' }).click();
    await this.page.getByTestId('session-user').filter({ hasText: username }).waitFor();
  }

  /**
   * Waits for the login form (logged out). On timeout the error says what the page showed instead: its session bar
   * and what this browser's storage holds of a session.
   */
  async waitForLoginForm(what: string, timeoutMs = 30_000): Promise<void> {
    try {
      await this.page.getByRole('button', { name: 'Log in' }).waitFor({ timeout: timeoutMs });
    } catch (error) {
      await this.page.screenshot({ path: FAILURE_SCREENSHOT }).catch(() => undefined);
      const bar = await this.page
        .locator('header')
        .first()
        .innerText({ timeout: 1_000 })
        .catch(() => '(no header)');
      const stored = await this.page.evaluate(storedSessionKeys).catch((e: unknown) => `(unreadable: ${String(e)})`);
      throw new Error(`${what}: no login form within ${timeoutMs} ms (${String(error)}); url ${this.page.url()}; session bar: ${bar}; stored: ${stored}; screenshot: ${FAILURE_SCREENSHOT}`);
    }
  }

  /** Replaces an editor's text as a paste would (typing would trip the editor's bracket auto-closing). */
  async write(editor: 'query' | 'variables', text: string): Promise<void> {
    const selector = editor === 'query' ? '.graphiql-query-editor .CodeMirror' : '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
    await this.page.locator(selector).click();
    await this.page.keyboard.press('ControlOrMeta+A');
    await this.page.keyboard.insertText(text);
    if (editor === 'query') await this.page.waitForFunction(queryParsed);
  }

  /** Presses the run button (for a running subscription, the same button stops it). */
  async run(): Promise<void> {
    await this.page.locator('.graphiql-execute-button').click();
  }

  async resultText(): Promise<string> {
    return this.page.evaluate(resultText);
  }

  /** Waits until the result pane shows JSON that satisfies `accept`, and returns it. */
  async waitForResult<T>(accept: (result: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await this.resultText();
      try {
        const result = JSON.parse(last) as T;
        if (accept(result)) return result;
      } catch {
        // Empty or not JSON yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.page.screenshot({ path: FAILURE_SCREENSHOT });
    throw new Error(`the playground did not show ${what} within ${timeoutMs} ms; its result pane shows: ${last || '(nothing)'}; screenshot: ${FAILURE_SCREENSHOT}`);
  }
}
