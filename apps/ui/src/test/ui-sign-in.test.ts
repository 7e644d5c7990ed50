import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import taskcluster from 'taskcluster-client';
import { startTestPlatform, type TestPlatform } from '@bulwark/server/testing';
import {
  browserSkipReason,
  launchChromium,
  watchPage,
  type PageProblems,
} from '../testing/browser.js';
import { seriousAxeViolations, signInWithKeyboard, storedState } from '../testing/ui-page.js';

// The UI's foundation, in real Chromium against a real platform: how it is served (CSP,
// caching, routes), signing in and out, and what it never keeps.

const skip = browserSkipReason();
const inOneHour = (): string => new Date(Date.now() + 3600_000).toJSON();

let platform: TestPlatform;
let rootUrl: string;
let browser: Browser;
let page: Page;
let problems: PageProblems;
let person: { clientId: string; accessToken: string };

before(async () => {
  if (skip) return;
  platform = await startTestPlatform();
  rootUrl = platform.platform.rootUrl;
  const auth = new taskcluster.Auth({ rootUrl, credentials: platform.root });
  const created = await auth.createClient('ui/person', {
    description: 'a person at the UI',
    expires: inOneHour(),
    scopes: ['auth:current-scopes', 'queue:get-artifact:*'],
  });
  person = { clientId: 'ui/person', accessToken: created.accessToken };
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  problems = watchPage(page);
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await platform?.stop();
});

test(
  'the UI is served at / with a strict CSP; hashed assets are cached; /api/ is never shadowed',
  { skip },
  async () => {
    const home = await fetch(rootUrl + '/');
    assert.equal(home.status, 200);
    assert.equal(home.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(home.headers.get('cache-control'), 'no-cache');
    const csp = home.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await home.text();
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const asset = await fetch(rootUrl + script);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    await asset.arrayBuffer();
    // The app's own routes get the page; nothing else does.
    for (const route of ['/tasks/' + 'a'.repeat(22), '/groups/' + 'a'.repeat(22)]) {
      const answer = await fetch(rootUrl + route);
      assert.equal(answer.headers.get('content-type'), 'text/html; charset=utf-8', route);
      await answer.text();
    }
    for (const path of [
      '/api/queue/v1/no-such-endpoint',
      '/api/queue/v1/task/' + 'a'.repeat(22),
      '/assets/no-such.js',
      '/assets/..%2Fpackage.json',
      '/elsewhere',
    ]) {
      const answer = await fetch(rootUrl + path);
      assert.notEqual(answer.headers.get('content-type'), 'text/html; charset=utf-8', path);
      assert.ok(answer.status >= 400 && answer.status < 500, `${path}: ${answer.status}`);
      await answer.arrayBuffer();
    }
  },
);

test('wrong credentials are refused with a message and nothing is kept', { skip }, async () => {
  await page.goto(rootUrl + '/');
  await signInWithKeyboard(page, { clientId: person.clientId, accessToken: 'not-the-token' });
  await page.getByRole('alert').getByText('Those credentials were not accepted.').waitFor();
  assert.equal(await page.getByLabel('Access token').inputValue(), '', 'the field is cleared');
  assert.deepEqual(await seriousAxeViolations(page), []);
});

test(
  'signing in with the keyboard exchanges the credentials for temporary ones kept in memory only',
  { skip },
  async () => {
    await page.goto(rootUrl + '/');
    await signInWithKeyboard(page, person);
    await page.getByRole('heading', { name: 'Find a task' }).waitFor();
    await page.getByText(`Signed in as ${person.clientId}`).waitFor();
    assert.deepEqual(await storedState(page), {
      localStorage: 0,
      sessionStorage: 0,
      documentCookie: '',
      cookies: 0,
    });
    assert.deepEqual(await seriousAxeViolations(page), []);
  },
);

test('no token in any request URL, no console error, no failed request', { skip }, () => {
  for (const url of problems.requestUrls) {
    assert.ok(!url.includes(person.accessToken), `token in ${url}`);
    assert.doesNotMatch(url, /accessToken|access_token/i, url);
  }
  // The refused sign-in above logs its 401; nothing else may.
  assert.deepEqual(
    problems.consoleErrors.filter((line) => !/status of 401/.test(line)),
    [],
  );
  assert.deepEqual(problems.failedRequests, []);
});

test("a reload signs out: nothing survives outside the page's memory", { skip }, async () => {
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
});

test('sign out forgets the credentials', { skip }, async () => {
  await signInWithKeyboard(page, person);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByText('Signed in as').count(), 0);
});

test('the root client signs in as the README says', { skip }, async () => {
  await signInWithKeyboard(page, platform.root);
  await page.getByText(`Signed in as ${platform.root.clientId}`).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
});

test('credentials that stop working sign the person out with a message', { skip }, async () => {
  await signInWithKeyboard(page, person);
  await page.getByRole('heading', { name: 'Find a task' }).waitFor();
  const auth = new taskcluster.Auth({ rootUrl, credentials: platform.root });
  await auth.disableClient(person.clientId);
  await page.getByLabel('Task ID').fill(taskcluster.slugid());
  await page.getByRole('button', { name: 'Open' }).click();
  await page
    .getByRole('status')
    .getByText(/credentials stopped working/)
    .waitFor();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
});
