import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);

/** Signs in through the form with the keyboard alone, as a person without a mouse would. */
export async function signInWithKeyboard(
  page: Page,
  credentials: { clientId: string; accessToken: string },
): Promise<void> {
  await page.getByLabel('Client ID').focus();
  await page.keyboard.type(credentials.clientId);
  await page.keyboard.press('Tab');
  await page.keyboard.type(credentials.accessToken);
  await page.keyboard.press('Enter');
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core (the npm package, evaluated in the page by the test, not served by
 * the platform: the page's CSP allows no injected script) and returns the serious and
 * critical violations.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } })
      .axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
}

/** Everything the page keeps where a script or a later visitor could read it. */
export async function storedState(page: Page): Promise<{
  localStorage: number;
  sessionStorage: number;
  documentCookie: string;
  cookies: number;
}> {
  const inPage = await page.evaluate(() => ({
    localStorage: window.localStorage.length,
    sessionStorage: window.sessionStorage.length,
    documentCookie: document.cookie,
  }));
  return { ...inPage, cookies: (await page.context().cookies()).length };
}
