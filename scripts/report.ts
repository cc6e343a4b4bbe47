// Builds the living documentation (reports/html/index.html, one page a feature at
// reports/html/features/<feature file's basename>.html) from the suite's Cucumber JSON.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatSettingValue } from '../domain/state';
import { JsonFeature, placesFromFiles, reporterInput } from './reporter-input';

interface RunMetadata {
  version: string;
  gitCommit: string;
  node: string;
  startedAt: string;
  finishedAt: string;
  seed: number;
  transport: string;
  defaultLimits: Record<string, string>;
  /** label -> value -> number of scenarios that ended under that value */
  limitsInForce: Record<string, Record<string, number>>;
}

interface MetadataRow {
  name: string;
  value: string;
}

interface CustomDataRow {
  label: string;
  value: string;
}

interface ReporterOptions {
  jsonDir: string;
  reportPath: string;
  pageTitle: string;
  reportName: string;
  displayDuration: boolean;
  disableLog: boolean;
  customMetadata: boolean;
  metadata: MetadataRow[];
  customData: { title: string; data: CustomDataRow[] };
  customStyle: string;
  pageFooter: string;
  /** Page names from the features' ids alone, without a random prefix. */
  staticFilePath: boolean;
}

interface HtmlReporter {
  generate(options: ReporterOptions): void;
}

// The package ships no type declarations, so its one entry point is typed here.
const reporter = require('multiple-cucumber-html-reporter') as HtmlReporter;

const ROOT = path.resolve(__dirname, '..');
const REPORTS_DIR = path.join(ROOT, 'reports');
const CUCUMBER_JSON = path.join(REPORTS_DIR, 'cucumber.json');
const RUN_METADATA_DIR = path.join(REPORTS_DIR, 'run-metadata');
const MESSAGES_NDJSON = path.join(REPORTS_DIR, 'messages.ndjson');
// generate() reads every *.json in jsonDir, so it gets a folder holding only this run's results.
const JSON_DIR = path.join(REPORTS_DIR, 'json');
const HTML_DIR = path.join(REPORTS_DIR, 'html');

const REPORT_NAME = 'Trading risk specification — living documentation';
const RISK_LIMITS_TITLE = 'Risk limits in force (scenarios per value)';
const CUSTOM_STYLE = path.join(__dirname, 'report-style.css');
const NOT_RECORDED = 'not recorded';
const SECRET_LABEL = /secret|api[ _-]?key|token|password|passphrase/i;
/** Font Awesome in the one format the browsers the report is read in load (its stylesheet offers woff2 before the rest); the other formats and the unused Glyphicons are 1.2 MB. */
const FONTS_KEPT = new Set(['fontawesome-webfont.woff2']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(source: Record<string, unknown>, key: string): string | undefined {
  const value = source[key];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** One file per Cucumber worker; scalar facts from the first, limit counts added up. */
function readRunMetadata(): Partial<RunMetadata> {
  if (!fs.existsSync(RUN_METADATA_DIR)) return {};
  const files = fs.readdirSync(RUN_METADATA_DIR).filter((f) => f.endsWith('.json')).sort();
  const merged: Partial<RunMetadata> = {};
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(path.join(RUN_METADATA_DIR, file), 'utf8'));
    } catch (error) {
      console.warn(`report: ignoring ${file}: ${(error as Error).message}`);
      continue;
    }
    if (!isRecord(parsed)) continue;
    merged.version ??= stringField(parsed, 'version');
    merged.gitCommit ??= stringField(parsed, 'gitCommit');
    merged.node ??= stringField(parsed, 'node');
    merged.transport ??= stringField(parsed, 'transport');
    const started = stringField(parsed, 'startedAt');
    if (started && (!merged.startedAt || started < merged.startedAt)) merged.startedAt = started;
    const finished = stringField(parsed, 'finishedAt');
    if (finished && (!merged.finishedAt || finished > merged.finishedAt)) merged.finishedAt = finished;
    if (merged.seed === undefined && typeof parsed.seed === 'number' && Number.isFinite(parsed.seed)) merged.seed = parsed.seed;
    if (isRecord(parsed.defaultLimits)) {
      merged.defaultLimits ??= Object.fromEntries(Object.entries(parsed.defaultLimits).map(([label, value]) => [label, String(value)]));
    }
    if (isRecord(parsed.limitsInForce)) {
      const inForce = (merged.limitsInForce ??= {});
      for (const [label, counts] of Object.entries(parsed.limitsInForce)) {
        if (!isRecord(counts)) continue;
        const target = (inForce[label] ??= {});
        for (const [value, count] of Object.entries(counts)) if (typeof count === 'number') target[value] = (target[value] ?? 0) + count;
      }
    }
  }
  return merged;
}

function packageVersion(): string {
  const packageJson: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return (isRecord(packageJson) && stringField(packageJson, 'version')) || NOT_RECORDED;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return NOT_RECORDED; // no git binary, not a checkout, or no commit yet
  }
}

// Without run metadata, the Cucumber message stream still records when the run started.
function runStartedFromMessages(): string | undefined {
  if (!fs.existsSync(MESSAGES_NDJSON)) return undefined;
  for (const line of fs.readFileSync(MESSAGES_NDJSON, 'utf8').split('\n')) {
    if (!line.startsWith('{"testRunStarted"')) continue;
    const message: unknown = JSON.parse(line);
    if (!isRecord(message) || !isRecord(message.testRunStarted)) return undefined;
    const timestamp = message.testRunStarted.timestamp;
    if (!isRecord(timestamp) || typeof timestamp.seconds !== 'number') return undefined;
    const nanos = typeof timestamp.nanos === 'number' ? timestamp.nanos : 0;
    return new Date(timestamp.seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
  }
  return undefined;
}

// The reporter's templates interpolate values without escaping them.
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function redacted(label: string, value: string): string {
  return SECRET_LABEL.test(label) ? '[redacted]' : value;
}

function buildMetadata(run: Partial<RunMetadata>): MetadataRow[] {
  const rows: MetadataRow[] = [
    { name: 'Project version', value: run.version ?? packageVersion() },
    { name: 'Git commit', value: run.gitCommit ?? gitCommit() },
    { name: 'Node.js', value: run.node ?? process.version },
    { name: 'Run started', value: run.startedAt ?? runStartedFromMessages() ?? NOT_RECORDED },
    { name: 'Seed', value: run.seed === undefined ? NOT_RECORDED : `${run.seed} (replay: SEED=${run.seed} npm start)` },
  ];
  return rows.map((row) => ({ name: escapeHtml(row.name), value: escapeHtml(row.value) }));
}

/** For each limit: the values scenarios ran under, most used first, and the default beside them. */
function buildRiskLimits(run: Partial<RunMetadata>): CustomDataRow[] {
  const rows: CustomDataRow[] = [];
  const labels = new Set([...Object.keys(run.limitsInForce ?? {}), ...Object.keys(run.defaultLimits ?? {})]);
  for (const label of labels) {
    const counts = Object.entries(run.limitsInForce?.[label] ?? {}).sort(([, a], [, b]) => b - a);
    const used = counts.map(([value, n]) => `${formatSettingValue(value)} (${n} scenario${n === 1 ? '' : 's'})`).join(', ') || 'not set in any scenario';
    const fallback = run.defaultLimits?.[label];
    rows.push({ label, value: redacted(label, fallback !== undefined ? `${used}; default ${formatSettingValue(fallback)}` : used) });
  }
  if (rows.length === 0) rows.push({ label: 'Risk limits', value: `${NOT_RECORDED}: no run metadata in ${path.relative(ROOT, RUN_METADATA_DIR)}` });
  rows.push({ label: 'Run finished', value: run.finishedAt ?? NOT_RECORDED });
  rows.push({ label: 'Broker transport', value: run.transport ?? NOT_RECORDED });
  return rows.map((row) => ({ label: escapeHtml(row.label), value: escapeHtml(row.value) }));
}

/**
 * The reporter's templates indent every line of every step; on a page of a hundred scenarios that is
 * half its bytes. Runs of white space holding a line break become one line break, except inside
 * <pre>, <textarea> and <script>, where white space is content.
 */
export function withoutIndentation(html: string): string {
  return html
    .split(/(<(?:pre|textarea|script)\b[\s\S]*?<\/(?:pre|textarea|script)>)/i)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[ \t]*\n\s*/g, '\n')))
    .join('');
}

/** Each passed step's icon carries a script tooltip that repeats its label's own title; the label's title says it alone. */
const PASSED_STEP_ICON = '<div class="label" title="Success">\n<i class="fa fa-check-circle fa-2x passed-color" data-bs-toggle="tooltip" data-placement="top" title="Step passed"></i>';
const PASSED_STEP_ICON_PLAIN = '<div class="label" title="Step passed">\n<i class="fa fa-check-circle fa-2x passed-color"></i>';

export function compactPage(html: string): string {
  return withoutIndentation(html).split(PASSED_STEP_ICON).join(PASSED_STEP_ICON_PLAIN);
}

function compactPages(dir: string): void {
  for (const file of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, file.name);
    if (file.isDirectory() && file.name !== 'assets') compactPages(full);
    else if (file.isFile() && file.name.endsWith('.html')) fs.writeFileSync(full, compactPage(fs.readFileSync(full, 'utf8')));
  }
}

function pruneFonts(): void {
  const fonts = path.join(HTML_DIR, 'assets', 'fonts');
  if (!fs.existsSync(fonts)) return;
  for (const file of fs.readdirSync(fonts)) if (!FONTS_KEPT.has(file)) fs.rmSync(path.join(fonts, file));
}

function main(): number {
  if (!fs.existsSync(CUCUMBER_JSON)) {
    console.error(`report: ${path.relative(ROOT, CUCUMBER_JSON)} does not exist; run npm start or npm test first`);
    return 1;
  }

  // Read and reshaped before anything is removed: a feature file that cannot name its page leaves the last report as it was.
  let input: JsonFeature[];
  try {
    input = reporterInput(JSON.parse(fs.readFileSync(CUCUMBER_JSON, 'utf8')) as JsonFeature[], placesFromFiles(ROOT));
  } catch (error) {
    console.error(`report: ${(error as Error).message}`);
    return 1;
  }
  fs.rmSync(JSON_DIR, { recursive: true, force: true });
  fs.mkdirSync(JSON_DIR, { recursive: true });
  fs.writeFileSync(path.join(JSON_DIR, 'cucumber.json'), JSON.stringify(input));
  // Feature pages of scenarios that no longer exist must not linger in the report.
  fs.rmSync(HTML_DIR, { recursive: true, force: true });

  const run = readRunMetadata();
  reporter.generate({
    jsonDir: JSON_DIR,
    reportPath: HTML_DIR,
    pageTitle: REPORT_NAME,
    reportName: REPORT_NAME,
    displayDuration: true,
    disableLog: true,
    customMetadata: true,
    metadata: buildMetadata(run),
    customData: { title: RISK_LIMITS_TITLE, data: buildRiskLimits(run) },
    customStyle: CUSTOM_STYLE,
    pageFooter: '<div class="created-by"><p>Generated by scripts/report.ts from reports/cucumber.json</p></div>',
    staticFilePath: true,
  });
  compactPages(HTML_DIR);
  pruneFonts();
  const bytes = folderBytes(HTML_DIR);
  const pages = fs.readdirSync(path.join(HTML_DIR, 'features')).filter(f => f.endsWith('.html')).length;
  // The drill-down's budget: a risk officer opens it from a mail or a CI artefact, not only from disk.
  const budget = `${(DRILL_DOWN_BUDGET_BYTES / 1e6).toFixed(0)} MB`;
  const over = bytes > DRILL_DOWN_BUDGET_BYTES ? `, over its budget of ${budget}: trim what the pages repeat before adding more` : ` (budget ${budget})`;
  console.log(`drill-down: ${pages} feature pages, ${(bytes / 1e6).toFixed(2)} MB in ${path.relative(ROOT, HTML_DIR)}${over}`);
  return 0;
}

const DRILL_DOWN_BUDGET_BYTES = 6_000_000;

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(full) : fs.statSync(full).size;
  }
  return total;
}

if (require.main === module) process.exitCode = main();
