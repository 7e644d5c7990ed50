import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (scripts/system-packages.sh --tests); no browser is downloaded. */
export const CHROMIUM_PATH = process.env.BULWARK_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `no Chromium at ${CHROMIUM_PATH}: run scripts/system-packages.sh --tests`;
}

/** One headless Chromium for a test file; close it in after(). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Root has no user namespace sandbox for Chromium's renderers in CI.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

/** What a page did that a test must see empty: console errors, failed requests. */
export interface PageProblems {
  readonly consoleErrors: string[];
  readonly failedRequests: string[];
  readonly requestUrls: string[];
  /** `<status> <method> <url>` of every answer of 400 or above. */
  readonly errorAnswers: string[];
}

/** Records console errors, uncaught exceptions, failed requests and every request URL. */
export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = {
    consoleErrors: [],
    failedRequests: [],
    requestUrls: [],
    errorAnswers: [],
  };
  page.on('console', (message) => {
    if (message.type() === 'error') problems.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => problems.consoleErrors.push(String(error)));
  page.on('requestfailed', (request) => {
    const why = request.failure()?.errorText ?? 'failed';
    problems.failedRequests.push(`${request.method()} ${request.url()} ${why}`);
  });
  page.on('request', (request) => problems.requestUrls.push(request.url()));
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.errorAnswers.push(
        `${response.status()} ${response.request().method()} ${response.url()}`,
      );
    }
  });
  return problems;
}
