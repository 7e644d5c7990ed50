import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { rm } from 'node:fs/promises';
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
import { bundleTestPage } from '../testing/bundle.js';
import { serveDirectory, type StaticServer } from '../testing/static-server.js';

// The published taskcluster-client-web, in real headless Chromium, on a page served from
// another origin than the platform: every call below crosses origins (CORS), and its
// temporary credentials carry `"issuer": null`.

const skip = browserSkipReason();
const TASK_QUEUE = 'ui-browser/pool';
const SECRET = 'ui/browser-secret';
const inOneHour = (): string => new Date(Date.now() + 3600_000).toJSON();

let platform: TestPlatform;
let pageDir: string;
let site: StaticServer;
let browser: Browser;
let page: Page;
let problems: PageProblems;
let user: { clientId: string; accessToken: string };

before(async () => {
  if (skip) return;
  platform = await startTestPlatform();
  const rootUrl = platform.platform.rootUrl;
  const auth = new taskcluster.Auth({ rootUrl, credentials: platform.root });
  const created = await auth.createClient('ui/browser-user', {
    description: 'a person at a browser',
    expires: inOneHour(),
    scopes: [
      'auth:current-scopes',
      'queue:create-task:*',
      'queue:scheduler-id:*',
      `secrets:get:${SECRET}`,
      'queue:get-artifact:private/*',
    ],
  });
  user = { clientId: 'ui/browser-user', accessToken: created.accessToken };
  const secrets = new taskcluster.Secrets({ rootUrl, credentials: platform.root });
  await secrets.set(SECRET, { expires: inOneHour(), secret: { word: 'swordfish' } });
  pageDir = await bundleTestPage();
  site = await serveDirectory(pageDir);
  browser = await launchChromium();
  const context = await browser.newContext();
  page = await context.newPage();
  problems = watchPage(page);
  await page.goto(site.origin);
  await page.waitForFunction(() => 'taskclusterWeb' in window);
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await site?.close();
  if (pageDir) await rm(pageDir, { recursive: true, force: true });
  await platform?.stop();
});

/** Runs `body` in the page with the client library, the root URL and the user's credentials. */
function inPage<T>(body: string, extra: Record<string, unknown> = {}): Promise<T> {
  const args = { rootUrl: platform.platform.rootUrl, credentials: user, ...extra };
  return page.evaluate(
    ({ body: code, args: values }) =>
      // The page is ours; the code is the test's own, written below.
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      new Function('tc', 'args', `return (async () => { ${code} })();`)(
        (window as unknown as { taskclusterWeb: unknown }).taskclusterWeb,
        values,
      ) as Promise<T>,
    { body, args },
  );
}

test('the page is on another origin than the platform', { skip }, () => {
  assert.notEqual(new URL(site.origin).origin, new URL(platform.platform.rootUrl).origin);
});

test('currentScopes from another origin', { skip }, async () => {
  const scopes = await inPage<string[]>(`
    const auth = new tc.Auth({ rootUrl: args.rootUrl, credentials: args.credentials });
    return (await auth.currentScopes()).scopes;`);
  assert.ok(scopes.includes(`secrets:get:${SECRET}`), JSON.stringify(scopes));
});

test(
  'createTask from another origin, and the error of a refused one is readable',
  { skip },
  async () => {
    const result = await inPage<{ state: string; refused: string }>(
      `
    const queue = new tc.Queue({ rootUrl: args.rootUrl, credentials: args.credentials });
    const taskId = tc.slugid();
    const task = {
      taskQueueId: args.taskQueueId, schedulerId: '-', created: new Date().toJSON(),
      deadline: tc.fromNowJSON('1 hour'), payload: {},
      metadata: { name: 'from a browser', description: 'x', owner: 'a@example.com', source: 'https://example.com/' },
    };
    const { status } = await queue.createTask(taskId, task);
    let refused = '';
    try {
      await new tc.Secrets({ rootUrl: args.rootUrl, credentials: args.credentials }).get('ui/other');
    } catch (err) { refused = err.body?.code ?? String(err); }
    return { state: status.state, refused };`,
      { taskQueueId: TASK_QUEUE },
    );
    assert.equal(result.state, 'pending');
    assert.equal(result.refused, 'InsufficientScopes');
  },
);

test('a secret from another origin', { skip }, async () => {
  const secret = await inPage<unknown>(
    `
    const secrets = new tc.Secrets({ rootUrl: args.rootUrl, credentials: args.credentials });
    return (await secrets.get(args.name)).secret;`,
    { name: SECRET },
  );
  assert.deepEqual(secret, { word: 'swordfish' });
});

test(
  'a signed URL (buildSignedUrl) for a private artifact downloads from another origin',
  { skip },
  async () => {
    const { taskId, runId } = await taskWithArtifact('private/hello.txt', 'hello from a run\n');
    const result = await inPage<{ status: number; text: string; unsigned: number }>(
      `
    const queue = new tc.Queue({ rootUrl: args.rootUrl, credentials: args.credentials });
    const url = await queue.buildSignedUrl(queue.getArtifact, args.taskId, args.runId, 'private/hello.txt');
    const answer = await fetch(url);
    const unsigned = await fetch(queue.buildUrl(queue.getArtifact, args.taskId, args.runId, 'private/hello.txt'));
    return { status: answer.status, text: await answer.text(), unsigned: unsigned.status };`,
      { taskId, runId },
    );
    assert.equal(result.status, 200, result.text);
    assert.equal(result.text, 'hello from a run\n');
    assert.equal(result.unsigned, 403);
  },
);

test(
  'S4: temporary credentials made in the browser ("issuer": null) work, within the issuer',
  { skip },
  async () => {
    const result = await inPage<{ issuer: unknown; scopes: string[]; wider: string }>(
      `
    const make = (scopes) => tc.createTemporaryCredentials({
      start: new Date(), expiry: new Date(Date.now() + 15 * 60 * 1000), scopes,
      credentials: args.credentials,
    });
    const temp = make(['auth:current-scopes', 'secrets:get:' + args.name]);
    const auth = new tc.Auth({ rootUrl: args.rootUrl, credentials: temp });
    const { scopes } = await auth.currentScopes();
    const secret = await new tc.Secrets({ rootUrl: args.rootUrl, credentials: temp }).get(args.name);
    if (secret.secret.word !== 'swordfish') throw new Error('wrong secret');
    let wider = '';
    try {
      await new tc.Auth({ rootUrl: args.rootUrl, credentials: make(['auth:current-scopes', 'secrets:get:*']) }).currentScopes();
    } catch (err) { wider = err.body?.code ?? String(err); }
    return { issuer: JSON.parse(temp.certificate).issuer, scopes, wider };`,
      { name: SECRET },
    );
    assert.equal(result.issuer, null);
    assert.deepEqual(result.scopes, [
      'assume:anonymous',
      'auth:current-scopes',
      `secrets:get:${SECRET}`,
    ]);
    assert.equal(result.wider, 'AuthenticationFailed');
  },
);

test('no cookie was set, and nothing failed in the page', { skip }, async () => {
  assert.deepEqual(await page.context().cookies(), []);
  assert.deepEqual(problems.failedRequests, []);
  // A refused call logs its 403 to the console; nothing else may.
  assert.deepEqual(
    problems.consoleErrors.filter((line) => !/status of 40[13]/.test(line)),
    [],
  );
  for (const url of problems.requestUrls) {
    assert.ok(!url.includes(user.accessToken), 'no access token in a request URL');
  }
});

/** A task claimed by a worker of the test pool, with one artifact uploaded by its run. */
async function taskWithArtifact(
  name: string,
  text: string,
): Promise<{ taskId: string; runId: number }> {
  const rootUrl = platform.platform.rootUrl;
  const auth = new taskcluster.Auth({ rootUrl, credentials: platform.root });
  const { accessToken } = await auth.createClient('ui/browser-worker', {
    description: 'claims the browser test tasks',
    expires: inOneHour(),
    scopes: [`queue:claim-work:${TASK_QUEUE}`, 'queue:worker-id:browser/w1'],
  });
  const queue = new taskcluster.Queue({ rootUrl, credentials: platform.root });
  const taskId = taskcluster.slugid();
  await queue.createTask(taskId, {
    taskQueueId: TASK_QUEUE,
    schedulerId: '-',
    created: new Date().toJSON(),
    deadline: inOneHour(),
    payload: {},
    priority: 'very-high',
    metadata: {
      name: 'artifact',
      description: 'x',
      owner: 'a@example.com',
      source: 'https://example.com/',
    },
  });
  const worker = new taskcluster.Queue({
    rootUrl,
    credentials: { clientId: 'ui/browser-worker', accessToken },
  });
  const { tasks } = await worker.claimWork(TASK_QUEUE, {
    workerGroup: 'browser',
    workerId: 'w1',
    tasks: 1,
  });
  const claimed = tasks.find((t: any) => t.status.taskId === taskId) ?? tasks[0];
  const run = new taskcluster.Queue({ rootUrl, credentials: claimed.credentials });
  const data = Buffer.from(text);
  const created = await run.createArtifact(claimed.status.taskId, claimed.runId, name, {
    storageType: 'object',
    expires: inOneHour(),
    contentType: 'text/plain',
    contentLength: data.length,
  });
  await taskcluster.upload({
    projectId: created.projectId,
    name: created.name,
    contentType: 'text/plain',
    contentLength: data.length,
    expires: new Date(created.expires),
    uploadId: created.uploadId,
    object: new taskcluster.Object({ rootUrl, credentials: created.credentials }),
    streamFactory: async () => Readable.from([data]),
  });
  await run.finishArtifact(claimed.status.taskId, claimed.runId, name, {
    uploadId: created.uploadId,
  });
  return { taskId: claimed.status.taskId, runId: claimed.runId };
}
