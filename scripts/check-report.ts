/**
 * The living documentation opened as a risk officer opens it: the front page (reports/index.html)
 * in headless Chromium (Debian's chromium, or CHROMIUM=path), then the drill-down it links to.
 * Fails unless the traceability matrix has a row for each of the plan's 81 test cases, the page's
 * find (window.find, what Ctrl+F uses) finds a code the run produced, every feature page the front
 * page links to is there under its feature file's name (html/features/<basename>.html), the first
 * risk decision of the front page's index is found, opened and seen on the step that made it in
 * its feature page (not on the After row), and no page logs a console error or fails to load.
 * Screenshots go to reports/screenshots/.
 *
 *   npm run check-report          (after npm test, npm start or npm run report)
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Browser, chromium, Page } from 'playwright-core';
import { PLAN_TEST_CASES } from '../support/plan-catalogue';

const ROOT = resolve(__dirname, '..');
const FRONT_PAGE = join(ROOT, 'reports', 'index.html');
const SCREENSHOTS = join(ROOT, 'reports', 'screenshots');
const FEATURES = join(ROOT, 'features');
/** Where the front page links a feature's drill-down: its feature file's basename, the same every run. */
const FEATURE_PAGE = /^html\/features\/([A-Za-z0-9_-]+)\.html$/;

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

/** The page at url, or null (and a problem) when it does not load. */
async function open(browser: Browser, url: string, problems: string[], screenshot: string): Promise<Page | null> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  watch(page, problems);
  try {
    await page.goto(url, { waitUntil: 'load' });
  } catch (error) {
    problems.push(`${url} does not load: ${(error as Error).message.split('\n')[0]}`);
    return null;
  }
  await page.screenshot({ path: join(SCREENSHOTS, screenshot) });
  return page;
}

/** Every feature page the front page links to is there, under the name of a feature file. */
async function checkFeatureLinks(page: Page, failures: string[]): Promise<void> {
  const hrefs = [...new Set(await page.locator('a[href^="html/features/"]').evaluateAll(as => as.map(a => a.getAttribute('href') ?? '')))];
  if (hrefs.length === 0) failures.push('the front page links to no feature page of the drill-down');
  const featureFiles = new Set(readdirSync(FEATURES).filter(f => f.endsWith('.feature')).map(f => f.replace(/\.feature$/, '')));
  for (const href of hrefs) {
    const name = FEATURE_PAGE.exec(href)?.[1];
    if (!name || !featureFiles.has(name)) failures.push(`the front page links ${href}, which is not html/features/<a feature file's basename>.html`);
    else if (!existsSync(fileURLToPath(new URL(href, pathToFileURL(FRONT_PAGE))))) failures.push(`the front page links ${href}, which the drill-down does not have`);
  }
  if (hrefs.length > 0) console.log(`check-report: ${hrefs.length} feature pages linked, each under its feature file's name`);
}

/**
 * The first risk decision of the front page's index, followed into its feature page: its table is
 * on the row of the step that made it, and shows once its scenario and that row are opened.
 */
async function checkDecisionOnItsStep(browser: Browser, page: Page, failures: string[], problems: string[]): Promise<void> {
  const decision = await page.locator('#evidence-risk-decision + table tr').evaluateAll(rows => {
    const head = rows.findIndex(r => r.classList.contains('scn'));
    const cells = head >= 0 ? rows[head + 1]?.querySelectorAll('td') : undefined;
    const href = head >= 0 ? rows[head].querySelector('a.dd')?.getAttribute('href') : undefined;
    return href && cells ? { href, seq: cells[0].textContent?.trim() ?? '', orderId: cells[1].textContent?.trim() ?? '' } : null;
  });
  if (!decision) {
    failures.push('the index of decisions lists no risk decision to follow into the drill-down');
    return;
  }
  if (!FEATURE_PAGE.test(decision.href)) failures.push(`the index of decisions links ${decision.href}, not a feature page under its feature file's name`);
  const feature = await open(browser, new URL(decision.href, pathToFileURL(FRONT_PAGE)).href, problems, 'drill-down.png');
  if (!feature) return;
  const where = await feature.locator('h4.ev-h').evaluateAll((headings, { seq, orderId }) => {
    const heading = headings.find(h => (h.textContent ?? '').includes(`event ${seq}`) && (h.textContent ?? '').includes(orderId));
    const collapse = heading?.closest('.scenario-step-collapse');
    if (!heading || !collapse) return null;
    let step = collapse.previousElementSibling;
    while (step && !step.classList.contains('scenario-step-container')) step = step.previousElementSibling;
    const scenario = collapse.closest('.x_panel');
    scenario?.setAttribute('data-check-report', 'decision');
    // The step's words, without the duration the reporter writes after them.
    const words = [...(step?.querySelector('.text')?.childNodes ?? [])].filter(n => !(n.nodeType === 1 && (n as typeof heading).classList.contains('duration')));
    return { id: collapse.id, keyword: step?.querySelector('.keyword')?.textContent?.trim() ?? '', step: words.map(n => n.textContent ?? '').join(' ').replace(/\s+/g, ' ').trim() };
  }, decision);
  if (!where) {
    failures.push(`${decision.href} has no risk decision of ${decision.orderId} at event ${decision.seq}, which the front page lists`);
    return;
  }
  if (where.keyword === 'After' || where.keyword === 'Before' || where.keyword === '') {
    failures.push(`${decision.href}: the decision of ${decision.orderId} at event ${decision.seq} is on the ${where.keyword || 'unnamed'} row, not on the step that made it`);
    return;
  }
  // Opened as a reader opens it: the scenario, then the step's evidence.
  const scenario = feature.locator('[data-check-report="decision"]');
  await scenario.locator('.collapse-link').first().click();
  await scenario.locator(`a[href="#${where.id}"]`).click();
  const table = feature.locator(`#${where.id} table.ev-table`).first();
  await table.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => failures.push(`${decision.href}: the evidence of step "${where.step}" does not show when opened`));
  await scenario.screenshot({ path: join(SCREENSHOTS, 'drill-down-evidence.png') }).catch(() => undefined);
  console.log(`check-report: the decision of ${decision.orderId} at event ${decision.seq} is on the step "${where.step}" of ${decision.href}`);
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
    await page.locator('#matrix').screenshot({ path: join(SCREENSHOTS, 'traceability.png') }).catch(() => failures.push('the front page has no #matrix (traceability matrix) section'));

    // A code the run produced, as the index of decisions shows it; then the browser's own find, as Ctrl+F does.
    const code = await page.locator('#evidence td code').first().textContent({ timeout: 5_000 }).catch(() => null);
    if (!code) {
      failures.push('the index of decisions shows no rejection or error code');
    } else {
      const found = await page.evaluate(text => (globalThis as unknown as { find(s: string): boolean }).find(text), code);
      if (!found) failures.push(`the page's find does not find ${code}`);
      else console.log(`check-report: the page's find finds ${code}`);
    }

    await checkFeatureLinks(page, failures);
    const index = await page.locator('a[href="html/index.html"]').first().getAttribute('href', { timeout: 5_000 }).catch(() => null);
    if (!index) failures.push('the front page does not link the drill-down report (html/index.html)');
    else await open(browser, new URL(index, pathToFileURL(FRONT_PAGE)).href, problems, 'drill-down-index.png');
    await checkDecisionOnItsStep(browser, page, failures, problems);
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
