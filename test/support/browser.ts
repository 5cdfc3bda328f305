import { accessSync, constants } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * A real browser for the tests: Debian's chromium (apt-get install chromium) driven by
 * playwright-core, whose own browser download cannot work on these machines. Headless, as root
 * (--no-sandbox), with the background connections a closed network refuses turned off. Each
 * launch gets a fresh profile: Playwright makes a temporary --user-data-dir itself, removed on
 * close (it refuses the flag in args; launchPersistentContext is the only other way).
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-extensions',
  '--mute-audio',
];

/** One browser for a test file; a missing chromium fails the test with what to install, never skips it. */
export async function launchBrowser(): Promise<Browser> {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(
      `no chromium at ${CHROMIUM_PATH}: apt-get install chromium (Debian's), or point CHROMIUM_PATH at one`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * What went wrong on a page while it was open, in words: console errors (CSP refusals are among
 * them), uncaught exceptions, and each securitypolicyviolation event the page saw, recorded by a
 * script Playwright adds before the page's own (the CSP does not apply to it).
 */
export interface PageProblems {
  list(): Promise<string[]>;
}

export async function watchPage(page: Page): Promise<PageProblems> {
  const seen: string[] = [];
  page.on('console', (message) => {
    const where = message.location().url;
    if (message.type() === 'error') seen.push(`console error: ${message.text()}${where === '' ? '' : ` (${where})`}`);
  });
  page.on('pageerror', (error) => seen.push(`uncaught: ${error.message}`));
  await page.addInitScript(() => {
    const w = globalThis as unknown as {
      __cspViolations: string[];
      addEventListener(type: string, listener: (event: Record<string, string>) => void): void;
    };
    w.__cspViolations = [];
    w.addEventListener('securitypolicyviolation', (event) =>
      w.__cspViolations.push(
        `${event.violatedDirective} refused ${event.blockedURI || 'inline'}${event.sourceFile ? ` (${event.sourceFile})` : ''}`,
      ),
    );
  });
  return {
    async list() {
      const csp = page.isClosed()
        ? []
        : await page.evaluate(() => (globalThis as unknown as { __cspViolations?: string[] }).__cspViolations ?? []);
      return [...seen, ...csp.map((violation) => `CSP violation: ${violation}`)];
    },
  };
}

/** The serious and critical accessibility violations axe finds on the page, one line each with the elements. */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} (${violation.helpUrl}) at ` +
        violation.nodes.map((node) => node.target.join(' ')).join(', '),
    );
}
