// Builds the living documentation (reports/html/index.html) from the suite's Cucumber JSON.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface RunMetadata {
  version: string;
  gitCommit: string;
  node: string;
  startedAt: string;
  finishedAt: string;
  seed: number;
  transport: string;
  riskLimits: Record<string, string>;
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
  pageFooter: string;
}

interface HtmlReporter {
  generate(options: ReporterOptions): void;
}

// The package ships no type declarations, so its one entry point is typed here.
const reporter = require('multiple-cucumber-html-reporter') as HtmlReporter;

const ROOT = path.resolve(__dirname, '..');
const REPORTS_DIR = path.join(ROOT, 'reports');
const CUCUMBER_JSON = path.join(REPORTS_DIR, 'cucumber.json');
const RUN_METADATA_JSON = path.join(REPORTS_DIR, 'run-metadata.json');
const MESSAGES_NDJSON = path.join(REPORTS_DIR, 'messages.ndjson');
// generate() reads every *.json in jsonDir, so it gets a folder holding only this run's results.
const JSON_DIR = path.join(REPORTS_DIR, 'json');
const HTML_DIR = path.join(REPORTS_DIR, 'html');

const REPORT_NAME = 'Trading risk specification — living documentation';
const RISK_LIMITS_TITLE = 'Default risk limits (settings version 0; each scenario attaches the limits it ran under)';
const NOT_RECORDED = 'not recorded';
const SECRET_LABEL = /secret|api[ _-]?key|token|password|passphrase/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(source: Record<string, unknown>, key: string): string | undefined {
  const value = source[key];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function readRunMetadata(): Partial<RunMetadata> {
  if (!fs.existsSync(RUN_METADATA_JSON)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(RUN_METADATA_JSON, 'utf8'));
  } catch (error) {
    console.warn(`report: ignoring ${path.relative(ROOT, RUN_METADATA_JSON)}: ${(error as Error).message}`);
    return {};
  }
  if (!isRecord(parsed)) return {};

  const metadata: Partial<RunMetadata> = {
    version: stringField(parsed, 'version'),
    gitCommit: stringField(parsed, 'gitCommit'),
    node: stringField(parsed, 'node'),
    startedAt: stringField(parsed, 'startedAt'),
    finishedAt: stringField(parsed, 'finishedAt'),
    transport: stringField(parsed, 'transport'),
  };
  if (typeof parsed.seed === 'number' && Number.isFinite(parsed.seed)) metadata.seed = parsed.seed;
  if (isRecord(parsed.riskLimits)) {
    metadata.riskLimits = Object.fromEntries(
      Object.entries(parsed.riskLimits).map(([label, value]) => [label, String(value)]),
    );
  }
  return metadata;
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
    { name: 'Seed', value: run.seed === undefined ? NOT_RECORDED : String(run.seed) },
  ];
  return rows.map((row) => ({ name: escapeHtml(row.name), value: escapeHtml(row.value) }));
}

function buildRiskLimits(run: Partial<RunMetadata>): CustomDataRow[] {
  const rows: CustomDataRow[] =
    run.riskLimits === undefined
      ? [{ label: 'Risk limits', value: `${NOT_RECORDED}: ${path.relative(ROOT, RUN_METADATA_JSON)} is missing` }]
      : Object.entries(run.riskLimits).map(([label, value]) => ({ label, value: redacted(label, value) }));
  rows.push({
    label: 'Replay with',
    value: run.seed === undefined ? `${NOT_RECORDED}: no seed in this run's metadata` : `SEED=${run.seed} npm start`,
  });
  return rows.map((row) => ({ label: escapeHtml(row.label), value: escapeHtml(row.value) }));
}

function main(): number {
  if (!fs.existsSync(CUCUMBER_JSON)) {
    console.error(`report: ${path.relative(ROOT, CUCUMBER_JSON)} does not exist; run npm start or npm test first`);
    return 1;
  }

  fs.rmSync(JSON_DIR, { recursive: true, force: true });
  fs.mkdirSync(JSON_DIR, { recursive: true });
  fs.copyFileSync(CUCUMBER_JSON, path.join(JSON_DIR, 'cucumber.json'));
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
    pageFooter: '<div class="created-by"><p>Generated by scripts/report.ts from reports/cucumber.json</p></div>',
  });
  return 0;
}

process.exitCode = main();
