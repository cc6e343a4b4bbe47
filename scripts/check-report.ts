/**
 * The living documentation opened as a risk officer opens it: the front page (reports/index.html)
 * in headless Chromium (Debian's chromium, or CHROMIUM=path), then a drill-down page it links to.
 * Fails unless the traceability matrix has a row for each of the plan's 81 test cases, the page's
 * find (window.find, what Ctrl+F uses) finds a rejection code the run produced, and neither page logs
 * a console error or fails to load. Screenshots go to reports/screenshots/.
 *
 *   npm run check-report          (after npm test, npm start or npm run report)
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, Page } from 'playwright-core';
import { PLAN_TEST_CASES } from '../support/plan-catalogue';

const ROOT = resolve(__dirname, '..');
const FRONT_PAGE = join(ROOT, 'reports', 'index.html');
const SCREENSHOTS = join(ROOT, 'reports', 'screenshots');

function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((c): c is string => Boolean(c));
  const found = candidates.find(c => existsSync(c));
  if (!found) throw new Error(`no Chromium at ${candidates.join(', ')}: apt-get install chromium, or set CHROMIUM`);
  return found;
}

function watch(page: Page, problems: string[]): void {
  page.on('console', message => {
    if (message.type() === 'error') problems.push(`console error on ${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', error => problems.push(`uncaught error on ${page.url()}: ${error.message}`));
  page.on('requestfailed', request => problems.push(`failed to load ${request.url()}: ${request.failure()?.errorText ?? 'unknown'}`));
}

async function main(): Promise<number> {
  if (!existsSync(FRONT_PAGE)) {
    console.error(`check-report: ${FRONT_PAGE} does not exist; run npm test or npm start first`);
    return 1;
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  const failures: string[] = [];
  const problems: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    watch(page, problems);
    await page.goto(pathToFileURL(FRONT_PAGE).href, { waitUntil: 'load' });

    const rows = await page.locator('tr[data-test-case]').evaluateAll(trs => trs.map(tr => tr.getAttribute('data-test-case')));
    const expected = PLAN_TEST_CASES.map(tc => tc.id);
    if (rows.length !== expected.length) failures.push(`the traceability matrix has ${rows.length} rows, the plan ${expected.length} test cases`);
    const missing = expected.filter(id => !rows.includes(id));
    if (missing.length > 0) failures.push(`the matrix has no row for ${missing.join(', ')}`);
    await page.screenshot({ path: join(SCREENSHOTS, 'front-page.png') });
    await page.locator('#traceability').screenshot({ path: join(SCREENSHOTS, 'traceability.png') }).catch(() => failures.push('the front page has no #traceability section'));

    // A code the run produced, as the index shows it; then the browser's own find, as Ctrl+F does.
    const code = await page.locator('[data-code]').first().getAttribute('data-code').catch(() => null);
    if (!code) {
      failures.push('the index of decisions shows no rejection or error code');
    } else {
      const found = await page.evaluate(text => (globalThis as unknown as { find(s: string): boolean }).find(text), code);
      if (!found) failures.push(`the page's find does not find ${code}`);
      else console.log(`check-report: the page's find finds ${code}`);
    }

    const drillDown = await page.locator('a[href^="html/"]').first().getAttribute('href').catch(() => null);
    if (!drillDown) {
      failures.push('the front page links to no drill-down page');
    } else {
      const feature = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      watch(feature, problems);
      await feature.goto(new URL(drillDown, pathToFileURL(FRONT_PAGE)).href, { waitUntil: 'load' });
      await feature.screenshot({ path: join(SCREENSHOTS, 'drill-down.png') });
    }
    console.log(`check-report: ${rows.length} matrix rows; screenshots in ${SCREENSHOTS}`);
  } finally {
    await browser.close();
  }
  for (const line of [...failures, ...problems]) console.error(`check-report: ${line}`);
  return failures.length + problems.length === 0 ? 0 : 1;
}

main().then(
  code => (process.exitCode = code),
  error => {
    console.error(error);
    process.exitCode = 1;
  },
);
