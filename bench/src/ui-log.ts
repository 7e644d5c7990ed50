/**
 * The log page while 10 MiB of log stream in: a run's live log is appended in 1 MiB
 * pieces (100-byte lines, as a worker sends them) while the page follows it in headless
 * Chromium. Measured in the page: the longest gap between two animation frames while
 * the log grows (how long the page was unresponsive at worst) and the time until the
 * last line is shown. Baseline, same run: the time the appends took to be accepted.
 */
import { existsSync } from 'node:fs';
import hawk from 'hawk';
import { chromium } from 'playwright-core';
import taskcluster from 'taskcluster-client';
import type { ServerProcess } from './server-process.js';

const MIB = 1024 * 1024;
const TOTAL_MIB = 10;
const LINE = 100;
/** Whole lines that fit one append (the queue takes at most 1 MiB per call). */
const LINES_PER_PIECE = Math.floor(MIB / LINE);
const CHROMIUM = process.env.BULWARK_TEST_CHROMIUM ?? '/usr/bin/chromium';

interface RunCredentials {
  clientId: string;
  accessToken: string;
  certificate: string;
}

/** A run claimed by a worker client of a pool of its own, with its live log published. */
async function claimedRun(server: ServerProcess) {
  const { rootUrl } = server;
  const auth = new taskcluster.Auth({ rootUrl, credentials: server.root });
  const { accessToken } = (await auth.createClient!('bench/ui-log-worker', {
    description: 'appends the bench log',
    expires: new Date(Date.now() + 3600_000).toJSON(),
    scopes: ['queue:claim-work:bench-ui/log', 'queue:worker-id:bench/w1'],
  })) as { accessToken: string };
  const queue = new taskcluster.Queue({ rootUrl, credentials: server.root });
  const taskId = taskcluster.slugid();
  const expires = new Date(Date.now() + 3600_000).toJSON();
  await queue.createTask!(taskId, {
    taskQueueId: 'bench-ui/log',
    schedulerId: 'bench-ui',
    created: new Date().toJSON(),
    deadline: expires,
    payload: {},
    metadata: {
      name: 'log',
      description: 'x',
      owner: 'a@example.com',
      source: 'https://example.com/',
    },
  });
  const worker = new taskcluster.Queue({
    rootUrl,
    credentials: { clientId: 'bench/ui-log-worker', accessToken },
  });
  const { tasks } = (await worker.claimWork!('bench-ui/log', {
    workerGroup: 'bench',
    workerId: 'w1',
    tasks: 1,
  })) as { tasks: { runId: number; credentials: RunCredentials }[] };
  const { runId, credentials } = tasks[0]!;
  const url = `${rootUrl}/api/object/v1/live-log/${taskId}/${runId}`;
  const run = new taskcluster.Queue({ rootUrl, credentials });
  await run.createArtifact!(taskId, runId, 'public/logs/live.log', {
    storageType: 'reference',
    url,
    expires,
    contentType: 'text/plain; charset=utf-8',
  });
  return { taskId, runId, url, credentials };
}

/** Appends one piece with the run's credentials, as the worker's live log pusher does. */
async function append(
  url: string,
  credentials: RunCredentials,
  data: Buffer,
  offset: number,
  final: boolean,
) {
  const target = `${url}?offset=${offset}${final ? '&final=true' : ''}`;
  const { header } = hawk.client.header(target, 'POST', {
    credentials: { id: credentials.clientId, key: credentials.accessToken, algorithm: 'sha256' },
    ext: Buffer.from(
      JSON.stringify({ certificate: JSON.parse(credentials.certificate) as unknown }),
    ).toString('base64'),
  });
  const response = await fetch(target, {
    method: 'POST',
    headers: { authorization: header, 'content-type': 'application/octet-stream' },
    body: new Uint8Array(data),
  });
  if (!response.ok)
    throw new Error(`append at ${offset}: HTTP ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

/** 1 MiB of numbered 100-byte lines, some coloured, some as the worker marks its own. */
function piece(index: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < LINES_PER_PIECE; i += 1) {
    const n = index * LINES_PER_PIECE + i;
    const text =
      i % 50 === 0
        ? `[bulwark] worker line ${n}`
        : i % 7 === 0
          ? `\x1b[32mok\x1b[0m ${n}`
          : `line ${n}`;
    lines.push(text.padEnd(LINE - 1, '.'));
  }
  return Buffer.from(lines.join('\n') + '\n');
}

export async function benchLogPage(server: ServerProcess): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`  log page: skipped, no Chromium at ${CHROMIUM}`);
    return;
  }
  const run = await claimedRun(server);
  const pieces = Array.from({ length: TOTAL_MIB }, (_, i) => piece(i));
  const lineCount = pieces.reduce((sum, p) => sum + p.toString().split('\n').length - 1, 0);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(server.rootUrl + '/');
    await page.getByLabel('Client ID').fill(server.root.clientId);
    await page.getByLabel('Access token').fill(server.root.accessToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Find a task' }).waitFor();
    await page.evaluate((path) => {
      window.history.pushState(null, '', path);
      window.dispatchEvent(new PopStateEvent('popstate'));
    }, `/tasks/${run.taskId}/runs/${run.runId}/log`);
    await page.getByText(/^Streaming… 0 lines$/).waitFor();
    // Frame gaps, recorded by the page from now until the last line shows.
    await page.evaluate((expected) => {
      const state = { maxGap: 0, last: performance.now(), done: 0, start: 0 };
      (window as unknown as { benchLog: typeof state }).benchLog = state;
      const tick = (now: number) => {
        state.maxGap = Math.max(state.maxGap, now - state.last);
        state.last = now;
        const status = document.querySelector('.log-status')?.textContent ?? '';
        if (status === `Complete: ${expected} lines`) state.done = performance.now();
        else requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }, lineCount);
    const started = Date.now();
    const pageStart = await page.evaluate(() => performance.now());
    let offset = 0;
    for (const [i, data] of pieces.entries()) {
      await append(run.url, run.credentials, data, offset, i === pieces.length - 1);
      offset += data.length;
    }
    const appended = Date.now() - started;
    await page.waitForFunction(
      () => (window as unknown as { benchLog: { done: number } }).benchLog.done > 0,
      null,
      {
        timeout: 120_000,
      },
    );
    const result = await page.evaluate(
      () => (window as unknown as { benchLog: { maxGap: number; done: number } }).benchLog,
    );
    const shown = result.done - pageStart;
    console.log(
      `  log page, ${(pieces.reduce((sum, p) => sum + p.length, 0) / MIB).toFixed(1)} MiB (${lineCount} lines) streamed in: last line shown ${shown.toFixed(0)} ms after the ` +
        `first append (baseline, the appends accepted: ${appended} ms; ratio ${(shown / appended).toFixed(2)}); ` +
        `longest frame gap ${result.maxGap.toFixed(0)} ms`,
    );
  } finally {
    await browser.close();
  }
}
