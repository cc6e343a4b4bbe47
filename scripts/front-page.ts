/**
 * The risk officers' front page (reports/index.html): one self-contained page built from the run's
 * Cucumber messages (reports/messages.ndjson, one file a shard) that says what the run proved.
 * The run, the plan's 81 test cases and what became of each, the controls and the scenarios that
 * prove them, every risk decision, breaker trip, broker error and reconciliation discrepancy, the
 * codes, and coverage and latency beside the plan's targets. Nothing is collapsed: the browser's
 * find reaches every word; a test counts the matrix's rows (`tr[data-test-case]`).
 *
 *   node -r ts-node/register scripts/front-page.ts [--messages a.ndjson,b.ndjson] [--out reports/index.html]
 *
 * Exits 1 when a section that has a feature file lacks a scenario for one of its test cases, and
 * fails (exit 2) when a scenario names a test case the plan's catalogue does not list.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import parseTagExpression from '@cucumber/tag-expressions';
import { Decimal } from '../domain/shared';
import { ERROR_KIND_MEANINGS } from '../domain/shared/errors';
import { REJECTION_CODE_MEANINGS, RejectionCode } from '../domain/risk/rejection-codes';
import { BREAKER_FAILURE_MEANINGS, HEALTH_FAILURE_MEANINGS, STANDARD_BREAKERS } from '../domain/breakers';
import { BREAKER_LEVEL_SETTINGS, DEFAULT_SETTINGS, settingLabel } from '../support/sut';
import { PLAN_SECTIONS, PLAN_TARGETS, PLAN_TEST_CASES, testCasesOfTags } from '../support/plan-catalogue';
import { EVIDENCE_INDEX_MEDIA_TYPE } from '../support/evidence-index';
import type { EvidenceIndexRow, EvidenceKind } from '../support/evidence-index';
import type { BenchFigure } from './bench-figures';

export { EVIDENCE_INDEX_MEDIA_TYPE };

export interface FrontPageOptions {
  /** The run's message files (reports/messages.ndjson), one a shard. */
  readonly messages: readonly string[];
  /** reports/run-metadata: worker-*.json from the suite's AfterAll, run.json from scripts/run-suite.js. */
  readonly runMetadataDir: string;
  readonly outFile: string;
  /** reports/bench.json (npm run bench): { date, node, commit, figures: [{ name, unit, n, p50, p99, p999, max?, value?, floor?, ratio?, target? }] }. */
  readonly benchJson?: string;
  /** c8's json-summary (reports/coverage/coverage-summary.json). */
  readonly coverageSummary?: string;
  /** reports/error-paths.json: { codes: [{ code, kind, meaning, scenarios }] }. */
  readonly errorPaths?: string;
  /** Where the feature files are, for a section whose feature the run did not load (default: the working directory). */
  readonly projectRoot?: string;
  /** The drill-down's feature pages, relative to the front page (default html/features). */
  readonly drillDownDir?: string;
}

export interface MatrixCounts {
  readonly rows: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly notRun: number;
  readonly noScenario: number;
}

export interface FrontPageResult {
  readonly file: string;
  readonly bytes: number;
  readonly matrix: MatrixCounts;
  /** Planned test cases no scenario names (in sections with a feature file, and without). */
  readonly missingTestCases: string[];
  /** Of those, the ones in a section that has a feature file: these fail the run. */
  readonly missingInFeatureSections: string[];
  readonly scenarios: { readonly total: number; readonly passed: number; readonly failed: number; readonly skipped: number; readonly notRun: number };
}

// ---------------------------------------------------------------------------------------------
// The messages, as far as the page reads them

interface Timestamp {
  readonly seconds: number;
  readonly nanos: number;
}
interface Tag {
  readonly name: string;
}
interface TableCell {
  readonly value: string;
}
interface TableRow {
  readonly id: string;
  readonly location: { readonly line: number };
  readonly cells: readonly TableCell[];
}
interface Examples {
  readonly keyword: string;
  readonly name: string;
  readonly tableHeader?: TableRow;
  readonly tableBody: readonly TableRow[];
}
interface GherkinScenario {
  readonly id: string;
  readonly keyword: string;
  readonly name: string;
  readonly location: { readonly line: number };
  readonly examples: readonly Examples[];
}
interface GherkinChild {
  readonly scenario?: GherkinScenario;
  readonly rule?: { readonly name: string; readonly keyword: string; readonly children: readonly GherkinChild[] };
}
interface GherkinDocument {
  readonly uri: string;
  readonly feature?: { readonly name: string; readonly children: readonly GherkinChild[] };
}
interface Pickle {
  readonly id: string;
  readonly uri: string;
  readonly location?: { readonly line: number };
  readonly astNodeIds: readonly string[];
  readonly tags: readonly Tag[];
  readonly name: string;
  readonly steps: readonly { readonly text: string }[];
}
interface StepResult {
  readonly status: string;
  readonly message?: string;
}

type Envelope = {
  readonly meta?: { readonly implementation: { readonly name: string; readonly version: string }; readonly runtime: { readonly name: string; readonly version: string } };
  readonly gherkinDocument?: GherkinDocument;
  readonly pickle?: Pickle;
  readonly testCase?: { readonly id: string; readonly pickleId: string };
  readonly testCaseStarted?: { readonly id: string; readonly testCaseId: string; readonly attempt: number; readonly timestamp: Timestamp };
  readonly testStepFinished?: { readonly testCaseStartedId: string; readonly testStepResult: StepResult };
  readonly testCaseFinished?: { readonly testCaseStartedId: string; readonly willBeRetried: boolean };
  readonly attachment?: { readonly testCaseStartedId?: string; readonly mediaType: string; readonly body: string; readonly contentEncoding?: string };
  readonly testRunStarted?: { readonly timestamp: Timestamp };
  readonly testRunFinished?: { readonly timestamp: Timestamp; readonly success: boolean };
  readonly testRunHookFinished?: { readonly result: StepResult };
};

export type ScenarioStatus = 'passed' | 'failed' | 'skipped' | 'not run';

/** One scenario (a pickle: an example row of an outline is one), merged over the shards. */
interface Scenario {
  readonly key: string;
  readonly anchor: string;
  readonly uri: string;
  readonly line: number;
  readonly name: string;
  readonly rule?: string;
  /** For an example of an outline: its Examples' name and the row's values. */
  readonly example?: string;
  readonly tags: readonly string[];
  readonly testCases: readonly string[];
  readonly stepTexts: readonly string[];
  status: ScenarioStatus;
  /** The worst step's status as Cucumber names it (UNDEFINED, AMBIGUOUS, ...), where it is not PASSED. */
  cucumberStatus?: string;
  failure?: string;
  reasonNotRun?: string;
  evidence: EvidenceIndexRow[];
  /** Where the scenario comes in the plan's order (section, then line). */
  order: number;
}

// Cucumber's own order, best to worst (getWorstTestStepResult).
const STATUS_RANK = ['UNKNOWN', 'PASSED', 'SKIPPED', 'PENDING', 'UNDEFINED', 'AMBIGUOUS', 'FAILED'];

function worst(statuses: readonly StepResult[]): StepResult {
  return statuses.reduce<StepResult>((a, b) => (STATUS_RANK.indexOf(b.status) > STATUS_RANK.indexOf(a.status) ? b : a), { status: 'UNKNOWN' });
}

function iso(t: Timestamp | undefined): string | undefined {
  return t ? new Date(t.seconds * 1000 + Math.floor(t.nanos / 1e6)).toISOString() : undefined;
}

interface ScenarioShape {
  readonly rule?: string;
  readonly examples?: string;
}

/** Where each scenario and example row of a feature sits: its Rule, its Examples and the row's values. */
function shapesOf(doc: GherkinDocument): Map<string, ScenarioShape & { scenario?: GherkinScenario; row?: string }> {
  const shapes = new Map<string, ScenarioShape & { scenario?: GherkinScenario; row?: string }>();
  const visit = (children: readonly GherkinChild[], rule?: string) => {
    for (const child of children) {
      if (child.rule) visit(child.rule.children, child.rule.name);
      const scenario = child.scenario;
      if (!scenario) continue;
      shapes.set(scenario.id, { rule, scenario });
      scenario.examples.forEach((examples, e) => {
        const header = examples.tableHeader?.cells.map(c => c.value) ?? [];
        examples.tableBody.forEach((row, r) => {
          const values = row.cells.map((c, i) => `${header[i] ?? `column ${i + 1}`} ${c.value}`).join(', ');
          const title = examples.name ? `"${examples.name}"` : scenario.examples.length > 1 ? `block ${e + 1}` : '';
          shapes.set(row.id, { rule, row: `${examples.keyword}${title ? ` ${title}` : ''}, row ${r + 1}: ${values}` });
        });
      });
    }
  };
  visit(doc.feature?.children ?? []);
  return shapes;
}

interface Shard {
  readonly file: string;
  readonly meta?: Envelope['meta'];
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly success?: boolean;
  readonly featureUris: readonly string[];
  readonly runHookFailures: readonly string[];
}

export function featureBasename(uri: string): string {
  return path.basename(uri).replace(/\.feature$/, '');
}

function anchorOf(uri: string, line: number): string {
  return `sc-${featureBasename(uri)}-${line}`;
}

/** Read every shard; a scenario any shard ran takes its result from there (the worst, if two ran it). */
function readShards(files: readonly string[]): { shards: Shard[]; scenarios: Map<string, Scenario> } {
  const scenarios = new Map<string, Scenario>();
  const shards: Shard[] = [];
  let order = 0;
  for (const file of files) {
    const envelopes: Envelope[] = readFileSync(file, 'utf8')
      .split('\n')
      .filter(line => line.trim() !== '')
      .map(line => JSON.parse(line) as Envelope);
    const shapes = new Map<string, ScenarioShape & { scenario?: GherkinScenario; row?: string }>();
    const pickles = new Map<string, Pickle>();
    const testCases = new Map<string, string>();
    const started = new Map<string, { testCaseId: string; attempt: number }>();
    const steps = new Map<string, StepResult[]>();
    const retried = new Set<string>();
    const indexes = new Map<string, EvidenceIndexRow[]>();
    const featureUris: string[] = [];
    const runHookFailures: string[] = [];
    let meta: Envelope['meta'];
    let startedAt: string | undefined;
    let finishedAt: string | undefined;
    let success: boolean | undefined;
    for (const e of envelopes) {
      if (e.meta) meta = e.meta;
      else if (e.gherkinDocument) {
        featureUris.push(e.gherkinDocument.uri);
        for (const [id, shape] of shapesOf(e.gherkinDocument)) shapes.set(id, shape);
      } else if (e.pickle) pickles.set(e.pickle.id, e.pickle);
      else if (e.testCase) testCases.set(e.testCase.id, e.testCase.pickleId);
      else if (e.testCaseStarted) started.set(e.testCaseStarted.id, { testCaseId: e.testCaseStarted.testCaseId, attempt: e.testCaseStarted.attempt });
      else if (e.testStepFinished) {
        const list = steps.get(e.testStepFinished.testCaseStartedId) ?? [];
        list.push(e.testStepFinished.testStepResult);
        steps.set(e.testStepFinished.testCaseStartedId, list);
      } else if (e.testCaseFinished?.willBeRetried) retried.add(e.testCaseFinished.testCaseStartedId);
      else if (e.attachment?.mediaType === EVIDENCE_INDEX_MEDIA_TYPE && e.attachment.testCaseStartedId) {
        const body = e.attachment.contentEncoding === 'BASE64' ? Buffer.from(e.attachment.body, 'base64').toString('utf8') : e.attachment.body;
        indexes.set(e.attachment.testCaseStartedId, JSON.parse(body) as EvidenceIndexRow[]);
      } else if (e.testRunStarted) startedAt = iso(e.testRunStarted.timestamp);
      else if (e.testRunFinished) {
        finishedAt = iso(e.testRunFinished.timestamp);
        success = e.testRunFinished.success;
      } else if (e.testRunHookFinished && e.testRunHookFinished.result.status !== 'PASSED') {
        runHookFailures.push(`${e.testRunHookFinished.result.status}: ${firstLine(e.testRunHookFinished.result.message ?? '')}`);
      }
    }
    shards.push({ file, meta, startedAt, finishedAt, success, featureUris, runHookFailures });

    // Every pickle is a scenario, whether or not the run selected it.
    const byPickle = new Map<string, Scenario>();
    for (const pickle of pickles.values()) {
      const line = pickle.location?.line ?? 0;
      const key = `${pickle.uri}:${line}`;
      let scenario = scenarios.get(key);
      if (!scenario) {
        const outline = shapes.get(pickle.astNodeIds[0]);
        const row = pickle.astNodeIds.length > 1 ? shapes.get(pickle.astNodeIds[pickle.astNodeIds.length - 1])?.row : undefined;
        const tags = pickle.tags.map(t => t.name);
        scenario = {
          key,
          anchor: anchorOf(pickle.uri, line),
          uri: pickle.uri,
          line,
          name: pickle.name,
          ...(outline?.rule ? { rule: outline.rule } : {}),
          ...(row ? { example: row } : {}),
          tags,
          testCases: testCasesOfTags(tags).ids,
          stepTexts: pickle.steps.map(s => s.text),
          status: 'not run',
          evidence: [],
          order: order++,
        };
        scenarios.set(key, scenario);
      }
      byPickle.set(pickle.id, scenario);
    }
    // The last attempt of each test case is its result.
    for (const [startedId, { testCaseId }] of started) {
      if (retried.has(startedId)) continue;
      const pickleId = testCases.get(testCaseId);
      const scenario = pickleId ? byPickle.get(pickleId) : undefined;
      if (!scenario) continue;
      const result = worst(steps.get(startedId) ?? []);
      const status: ScenarioStatus = result.status === 'PASSED' ? 'passed' : result.status === 'SKIPPED' ? 'skipped' : 'failed';
      const rank = (s: ScenarioStatus) => ['not run', 'passed', 'skipped', 'failed'].indexOf(s);
      if (rank(status) >= rank(scenario.status)) {
        scenario.status = status;
        if (result.status !== 'PASSED') scenario.cucumberStatus = result.status;
        if (result.message) scenario.failure = firstLine(result.message);
        scenario.evidence = indexes.get(startedId) ?? [];
      }
    }
  }
  return { shards, scenarios };
}

function firstLine(message: string): string {
  const line = message.split('\n').find(l => l.trim() !== '') ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}...` : line;
}

// ---------------------------------------------------------------------------------------------
// The run's metadata

interface WorkerMetadata {
  readonly version?: string;
  readonly gitCommit?: string;
  readonly node?: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly seed?: number;
  readonly transport?: string;
}

/** What scripts/run-suite.js records of a run: how it was asked for. */
export interface RunRequest {
  readonly profile?: string;
  /** The tag expression Cucumber ran with: the profile's and the command line's, joined with "and". */
  readonly tagFilter?: string;
  readonly profileTags?: string;
  readonly commandLineTags?: string;
  readonly passThrough?: readonly string[];
  readonly seed?: number;
  readonly seedPicked?: boolean;
}

function readJson<T>(file: string | undefined): T | undefined {
  if (!file || !existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function readMetadata(dir: string): { workers: WorkerMetadata[]; request?: RunRequest } {
  if (!existsSync(dir)) return { workers: [] };
  const files = readdirSync(dir).sort();
  const workers = files.filter(f => /^worker-.*\.json$/.test(f)).map(f => readJson<WorkerMetadata>(path.join(dir, f))).filter((w): w is WorkerMetadata => w !== undefined);
  return { workers, request: readJson<RunRequest>(path.join(dir, 'run.json')) };
}

// ---------------------------------------------------------------------------------------------
// HTML

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STATUS_CLASS: Readonly<Record<string, string>> = { passed: 'ok', failed: 'bad', skipped: 'warn', 'not run': 'muted', 'no scenario': 'bad' };

function statusBadge(status: string, text: string = status): string {
  return `<span class="st st-${STATUS_CLASS[status] ?? 'muted'}">${escape(text)}</span>`;
}

function codeAnchor(code: string): string {
  return `code-${code.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

// ---------------------------------------------------------------------------------------------
// The controls: every pre-trade check (domain/risk) and every standard breaker (domain/breakers)

export interface PreTradeControl {
  /** The name a decision's row carries (DecisionRow.check). */
  readonly check: string;
  readonly codes: readonly RejectionCode[];
  /** Setting keys; a key ending in "." is per symbol (max_order_quantity.<symbol>). */
  readonly settings: readonly string[];
  readonly note?: string;
}

/** The pre-trade checks in the order the risk manager runs them (PRE_TRADE_CHECKS, with MARKET_CHECKS after the trading state). */
export const PRE_TRADE_CONTROLS: readonly PreTradeControl[] = [
  { check: 'tradable instrument', codes: ['INSTRUMENT_NOT_FOUND', 'INSTRUMENT_NOT_TRADABLE'], settings: ['trading_disabled.'] },
  { check: 'mark price', codes: ['MARK_PRICE_UNAVAILABLE'], settings: [] },
  { check: 'mark price age', codes: ['MARK_PRICE_STALE'], settings: ['mark_staleness_seconds'], note: 'twice the limit for reducing orders' },
  { check: 'trading state', codes: ['TRADING_HALTED', 'TRADING_STATE_REDUCING'], settings: ['trading_state', 'degraded_trading_state', 'reconciliation_queue_trading_state'], note: 'the strictest of the setting and the states a broker outage or the reconciliation queue impose' },
  { check: 'reduce-only order', codes: ['REDUCE_ONLY_WOULD_INCREASE_POSITION'], settings: [] },
  { check: 'market session', codes: ['MARKET_CLOSED', 'ORDER_TYPE_NOT_ALLOWED_IN_SESSION', 'EXTENDED_HOURS_NOT_REQUESTED'], settings: [], note: "the venue's calendar" },
  { check: 'trading halt', codes: ['SYMBOL_HALTED', 'MARKET_WIDE_HALT', 'LULD_PAUSED'], settings: ['halt_order_policy'], note: 'the policy says what becomes of working orders in a halt' },
  { check: 'reopening print', codes: ['MARKET_ORDER_BEFORE_REOPENING_PRINT'], settings: [] },
  { check: 'close preparation', codes: ['CLOSE_PREPARATION_NO_NEW_RISK'], settings: ['close_preparation_minutes'] },
  { check: 'price band', codes: ['PRICE_OUTSIDE_LULD_BAND'], settings: [], note: 'the bands the venue enforces (limit up-limit down)' },
  { check: 'spread', codes: ['NO_LIQUIDITY', 'SPREAD_TOO_WIDE'], settings: ['max_spread_bps'] },
  { check: 'book depth share', codes: ['NO_LIQUIDITY', 'DEPTH_INSUFFICIENT'], settings: ['max_depth_share_pct'] },
  { check: 'expected slippage', codes: ['NO_LIQUIDITY', 'SLIPPAGE_EXCEEDS_GUARD'], settings: ['slippage_guard_bps', 'impact_coefficient'] },
  {
    check: 'volatility regime',
    codes: [],
    settings: ['regime_elevated_volatility_pct', 'regime_stress_volatility_pct', 'regime_elevated_limit_factor', 'regime_stress_limit_factor'],
    note: 'never refuses: it multiplies the max leverage and the max order notional',
  },
  { check: 'daily loss limit', codes: ['DAILY_LOSS_LIMIT_REACHED'], settings: ['daily_loss_limit_pct', 'daily_loss_limit_amount'], note: 'refuses at the limit itself; reducing orders still pass' },
  { check: 'order quantity', codes: ['QUANTITY_EXCEEDS_MAXIMUM'], settings: ['max_order_quantity.'] },
  { check: 'order notional', codes: ['NOTIONAL_EXCEEDS_MAX_PER_ORDER'], settings: ['max_order_notional', 'regime_elevated_limit_factor', 'regime_stress_limit_factor'] },
  { check: 'price collar', codes: ['PRICE_OUTSIDE_COLLAR'], settings: ['price_collar_pct'] },
  { check: 'position limit', codes: ['POSITION_LIMIT_EXCEEDED'], settings: ['max_position_pct', 'max_position_notional.'] },
  { check: 'max leverage', codes: ['LEVERAGE_EXCEEDS_MAXIMUM'], settings: ['max_leverage', 'breaker_trip_max_leverage', 'regime_elevated_limit_factor', 'regime_stress_limit_factor'] },
  { check: 'gross exposure', codes: ['GROSS_EXPOSURE_EXCEEDS_CAP'], settings: ['max_gross_exposure_pct'] },
  { check: 'net exposure', codes: ['NET_EXPOSURE_EXCEEDS_CAP'], settings: ['max_net_exposure_pct'] },
  { check: 'correlated exposure', codes: ['CORRELATED_EXPOSURE_EXCEEDS_CAP'], settings: ['max_correlated_exposure_pct', 'correlation.'] },
];

/** Settings a standard breaker reads beside its two levels. */
const BREAKER_EXTRA_SETTINGS: Readonly<Record<string, readonly string[]>> = {
  'liquidation buffer': ['position_leverage'],
  volatility: ['volatility_halt_pct', 'volatility_window_returns', 'volatility_min_returns'],
  'price move': ['price_move_window_seconds'],
  'correlation jump': ['correlation_jump_window_minutes'],
};
/** What every breaker's response and recovery read. */
const BREAKER_COMMON_SETTINGS = ['breaker_trip_max_leverage', 'breaker_cooldown_minutes', 'restore_step_minutes'];

function settingCell(keys: readonly string[]): string {
  if (keys.length === 0) return '<span class="muted">no setting</span>';
  return keys
    .map(key => {
      if (key.endsWith('.')) return `<code>${escape(key)}&lt;symbol&gt;</code> ${escape(settingLabel(`${key}SYMBOL`).replace('SYMBOL', '<symbol>'))}: per symbol, none by default`;
      const value = DEFAULT_SETTINGS[key];
      return `<code>${escape(key)}</code> ${escape(settingLabel(key))} = <strong>${escape(value ?? 'not set')}</strong>`;
    })
    .join('<br>');
}

// ---------------------------------------------------------------------------------------------
// Building the page

interface TestCaseRow {
  readonly id: string;
  readonly title: string;
  readonly scenarios: Scenario[];
  status: 'passed' | 'failed' | 'skipped' | 'not run' | 'no scenario';
  text: string;
}


interface CoverageSummary {
  readonly total?: Record<string, { total: number; covered: number; pct: number | string }>;
}

interface ErrorPaths {
  readonly codes: readonly { code: string; kind: string; meaning: string; scenarios: readonly string[] }[];
}

/** Why a scenario the run loaded did not run: its transport, the tag filter, or something else. */
function reasonNotRun(scenario: Scenario, transport: string | undefined, tagFilter: string | undefined): string {
  const reasons: string[] = [];
  const wireOnly = scenario.tags.includes('@wire-only');
  if (wireOnly && transport === 'in-process') reasons.push('needs the wire');
  if (tagFilter) {
    // The transport's own "not @wire-only" is read as admitting it: what is left is the filter asked for.
    const admits = parseTagExpression(tagFilter).evaluate(scenario.tags.filter(t => !(wireOnly && transport === 'in-process' && t === '@wire-only')));
    if (!admits) reasons.push(`excluded by the tag filter ${tagFilter}`);
  }
  if (reasons.length === 0) reasons.push(tagFilter === undefined && transport !== 'in-process' ? 'not selected by this run (tag filter not recorded)' : 'not selected by this run (a name or line filter, or the run stopped early)');
  return reasons.join('; ');
}

/** The test case ids a feature file's tags name, for a section whose feature the run did not load. */
function testCasesInFeatureFile(file: string): Set<string> {
  const text = readFileSync(file, 'utf8');
  return new Set([...text.matchAll(/@(TC-[A-Z]+-\d{3})\b/g)].map(m => m[1]));
}

export function buildFrontPage(options: FrontPageOptions): FrontPageResult {
  const root = options.projectRoot ?? process.cwd();
  const drillDown = options.drillDownDir ?? 'html/features';
  const { shards, scenarios: byKey } = readShards(options.messages);
  // In the plan's order: section by section, then as the feature file has them.
  const rank = (uri: string) => {
    const i = PLAN_SECTIONS.findIndex(section => section.feature === uri);
    return i < 0 ? PLAN_SECTIONS.length : i;
  };
  const scenarios = [...byKey.values()].sort((a, b) => rank(a.uri) - rank(b.uri) || a.uri.localeCompare(b.uri) || a.line - b.line);
  scenarios.forEach((s, i) => (s.order = i));

  // A scenario that names a test case the plan lacks fails the page as it fails the run.
  const unknown = scenarios.flatMap(s => testCasesOfTags(s.tags).unknown.map(id => `@${id} on "${s.name}" (${s.uri}:${s.line})`));
  if (unknown.length > 0) throw new Error(`scenarios are tagged with test cases the plan's catalogue does not list:\n  ${unknown.join('\n  ')}`);

  const { workers, request } = readMetadata(options.runMetadataDir);
  const transports = [...new Set(workers.map(w => w.transport).filter((t): t is string => t !== undefined))];
  const transport = transports.length === 1 ? transports[0] : undefined;
  const tagFilter = request?.tagFilter;
  for (const s of scenarios) if (s.status === 'not run') s.reasonNotRun = reasonNotRun(s, transport, tagFilter);

  const loaded = new Set(shards.flatMap(s => s.featureUris));
  const featureState = new Map(
    PLAN_SECTIONS.map(section => {
      const inRun = loaded.has(section.feature);
      const onDisk = existsSync(path.join(root, section.feature));
      return [section.id, { inRun, onDisk, tagged: !inRun && onDisk ? testCasesInFeatureFile(path.join(root, section.feature)) : new Set<string>() }];
    }),
  );

  // The matrix: one row per planned test case.
  const rows: TestCaseRow[] = PLAN_TEST_CASES.map(tc => {
    const own = scenarios.filter(s => s.testCases.includes(tc.id));
    const feature = featureState.get(tc.section)!;
    const section = PLAN_SECTIONS.find(s => s.id === tc.section)!;
    let status: TestCaseRow['status'];
    let text: string;
    if (own.length === 0) {
      if (feature.tagged.has(tc.id)) {
        status = 'not run';
        text = `not run: ${section.feature} was not part of this run`;
      } else {
        status = 'no scenario';
        text = feature.inRun || feature.onDisk ? 'no scenario' : `no scenario: section ${section.id} has no feature file yet`;
      }
    } else {
      const count = (st: ScenarioStatus) => own.filter(s => s.status === st).length;
      const [passed, failed, skipped, notRun] = [count('passed'), count('failed'), count('skipped'), count('not run')];
      const reasons = [...new Set(own.filter(s => s.status === 'not run').map(s => s.reasonNotRun ?? 'not run'))];
      const notRunText = notRun > 0 ? `${notRun} not run: ${reasons.join('; ')}` : '';
      if (failed > 0) {
        status = 'failed';
        text = `failed: ${failed} of ${own.length} scenarios${notRunText ? `; ${notRunText}` : ''}`;
      } else if (passed > 0 && skipped === 0) {
        status = 'passed';
        text = notRun > 0 ? `passed: ${passed} of ${own.length} scenarios run; ${notRunText}` : `passed: ${passed} of ${passed} scenarios`;
      } else if (skipped > 0) {
        status = 'skipped';
        text = `skipped: ${skipped} of ${own.length} scenarios${notRunText ? `; ${notRunText}` : ''}`;
      } else {
        status = 'not run';
        text = `not run: ${reasons.join('; ')}`;
      }
    }
    return { id: tc.id, title: tc.title, scenarios: own, status, text };
  });

  const missing = rows.filter(r => r.status === 'no scenario').map(r => r.id);
  const missingInFeatureSections = missing.filter(id => {
    const tc = PLAN_TEST_CASES.find(t => t.id === id)!;
    const feature = featureState.get(tc.section)!;
    return feature.inRun || feature.onDisk;
  });
  const countRows = (st: TestCaseRow['status']) => rows.filter(r => r.status === st).length;
  const matrix: MatrixCounts = { rows: rows.length, passed: countRows('passed'), failed: countRows('failed'), skipped: countRows('skipped'), notRun: countRows('not run'), noScenario: countRows('no scenario') };
  const countScenarios = (st: ScenarioStatus) => scenarios.filter(s => s.status === st).length;
  const totals = { total: scenarios.length, passed: countScenarios('passed'), failed: countScenarios('failed'), skipped: countScenarios('skipped'), notRun: countScenarios('not run') };

  const featureLink = (s: Scenario) => `${drillDown}/${featureBasename(s.uri)}.html`;
  const scenarioLinks = (s: Scenario) => `<a href="#${s.anchor}">${escape(s.name)}</a> <a class="dd" href="${escape(featureLink(s))}" title="drill-down report of ${escape(s.uri)}">[${escape(featureBasename(s.uri))}]</a>`;

  const html = [
    page(
      [
        header(shards, workers, request, transport, totals, rows, scenarios, missing, missingInFeatureSections, options),
        matrixSection(rows, scenarios, featureLink, matrix),
        controlsSection(scenarios, scenarioLinks),
        evidenceSection(scenarios, scenarioLinks),
        glossarySection(scenarios, readJson<ErrorPaths>(options.errorPaths)),
        measuresSection(options),
      ].join('\n'),
    ),
  ].join('');
  mkdirSync(path.dirname(options.outFile), { recursive: true });
  writeFileSync(options.outFile, html);
  return { file: options.outFile, bytes: Buffer.byteLength(html), matrix, missingTestCases: missing, missingInFeatureSections, scenarios: totals };
}

function header(
  shards: readonly Shard[],
  workers: readonly WorkerMetadata[],
  request: RunRequest | undefined,
  transport: string | undefined,
  totals: FrontPageResult['scenarios'],
  rows: readonly TestCaseRow[],
  scenarios: readonly Scenario[],
  missing: readonly string[],
  missingInFeatureSections: readonly string[],
  options: FrontPageOptions,
): string {
  const first = workers[0];
  const seeds = [...new Set(workers.map(w => w.seed).filter((s): s is number => typeof s === 'number'))];
  const commits = [...new Set(workers.map(w => w.gitCommit).filter((c): c is string => c !== undefined))];
  const commitText = commits.length === 0 ? 'unknown' : commits.map(c => (c.endsWith('-dirty') ? `${c.slice(0, -'-dirty'.length)} (dirty: uncommitted changes to tracked files)` : `${c} (clean)`)).join(' / ');
  const seedText =
    seeds.length === 1
      ? `${seeds[0]} (every worker; replay with SEED=${seeds[0]})`
      : seeds.length === 0
        ? 'not recorded'
        : `<strong class="bad">the workers ran under different seeds: ${seeds.join(', ')}</strong>`;
  const startTimes = [...shards.map(s => s.startedAt), ...workers.map(w => w.startedAt)].filter((t): t is string => t !== undefined).sort();
  const endTimes = [...shards.map(s => s.finishedAt), ...workers.map(w => w.finishedAt)].filter((t): t is string => t !== undefined).sort();
  const meta = shards.find(s => s.meta)?.meta;
  const runFailed = totals.failed > 0 || totals.skipped > 0 || shards.some(s => s.success === false) || missingInFeatureSections.length > 0;
  const verdict = runFailed
    ? `<p class="verdict bad">NOT PROVEN: ${totals.failed} failed, ${totals.skipped} skipped${missingInFeatureSections.length > 0 ? `, ${missingInFeatureSections.length} planned test cases without a scenario` : ''}${shards.some(s => s.success === false) ? '; Cucumber reported the run unsuccessful' : ''}</p>`
    : `<p class="verdict ok">PASSED: all ${totals.passed} scenario${totals.passed === 1 ? '' : 's'} run passed</p>`;
  const facts: [string, string][] = [
    ['project version', escape(first?.version ?? 'unknown')],
    ['git commit', escape(commitText)],
    ['seed', seedText],
    ['broker transport', escape(transport === 'in-process' ? 'in-process (no sockets; @wire-only scenarios cannot run)' : transport === 'wire' ? 'wire (HTTP and WebSocket through the fault proxy)' : transport ?? 'not recorded')],
    ['profile', escape(request?.profile ?? 'not recorded (cucumber-js was run directly, not through scripts/run-suite.js)')],
    ['tag filter', request ? escape(request.tagFilter ?? 'none: every scenario') : 'not recorded'],
    ['other arguments', escape(request?.passThrough?.length ? request.passThrough.join(' ') : 'none')],
    ['started', escape(startTimes[0] ?? 'unknown')],
    ['finished', escape(endTimes[endTimes.length - 1] ?? 'unknown')],
    ['shards', escape(`${shards.length} message file${shards.length === 1 ? '' : 's'} (${shards.map(s => s.file).join(', ')}); ${workers.length} worker${workers.length === 1 ? '' : 's'}`)],
    ['runtime', escape(`${meta ? `${meta.implementation.name} ${meta.implementation.version}, ${meta.runtime.name} ${meta.runtime.version}` : first?.node ?? 'unknown'}`)],
  ];
  const hookFailures = shards.flatMap(s => s.runHookFailures);
  if (hookFailures.length > 0) facts.push(['run hooks', `<strong class="bad">${escape(hookFailures.join('; '))}</strong>`]);

  // What the run left out, by reason, and which test cases that drops.
  const byReason = new Map<string, Scenario[]>();
  for (const s of scenarios) if (s.status === 'not run') byReason.set(s.reasonNotRun ?? 'not run', [...(byReason.get(s.reasonNotRun ?? 'not run') ?? []), s]);
  const exclusions = [...byReason.entries()].map(([reason, list]) => {
    const touched = [...new Set(list.flatMap(s => s.testCases))];
    // A test case this reason drops: none of its scenarios ran, and each of them was left out for it.
    const dropped = touched.filter(id => rows.find(r => r.id === id)?.scenarios.every(s => s.status === 'not run' && s.reasonNotRun === reason));
    const partly = touched.filter(id => !dropped.includes(id));
    return `<tr><td>${escape(reason)}</td><td class="num">${list.length}</td><td>${dropped.length} ${dropped.length > 0 ? `: ${testCaseLinks(dropped)}` : ''}</td><td>${partly.length} ${partly.length > 0 ? `: ${testCaseLinks(partly)}` : ''}</td></tr>`;
  });
  const exclusionTable =
    exclusions.length === 0
      ? '<p>Scenarios excluded: none; every scenario of the loaded feature files ran.</p>'
      : `<h3 id="run-excluded">Scenarios excluded, and why</h3><table><thead><tr><th>why</th><th>scenarios</th><th>test cases not run at all</th><th>test cases partly run</th></tr></thead><tbody>${exclusions.join('')}</tbody></table>`;
  const missingText =
    missing.length === 0
      ? '<p id="run-missing">Planned test cases without a scenario: none.</p>'
      : `<p id="run-missing" class="${missingInFeatureSections.length > 0 ? 'bad' : ''}">Planned test cases without a scenario (${missing.length}): ${testCaseLinks(missing)}${missingInFeatureSections.length > 0 ? ' — the run fails: their sections have a feature file' : ''}</p>`;
  const drillDownIndex = path.join(path.dirname(options.outFile), 'html', 'index.html');
  const runStart = startTimes[0] ? Date.parse(startTimes[0]) : Number.NaN;
  const drillDownText = !existsSync(drillDownIndex)
    ? 'not built in this run (run with <code>--report</code> for reports/html/index.html)'
    : statSync(drillDownIndex).mtimeMs < runStart
      ? 'reports/html/index.html is from an earlier run: rebuild it with <code>npm run report</code> or run with <code>--report</code>'
      : '<a href="html/index.html">the drill-down report</a> (every step, and each scenario\'s evidence: decision tables, breaker responses, error paths, the market, the timeline, the limits)';
  return `<header id="run">
<h1>Trading risk specification: what this run proved</h1>
${verdict}
<nav><a href="#run">Run</a> · <a href="#matrix">Traceability matrix</a> · <a href="#controls">Controls register</a> · <a href="#evidence">Evidence index</a> · <a href="#glossary">Glossary</a> · <a href="#measures">Coverage and performance</a></nav>
<h2>Run</h2>
<table class="facts"><tbody>${facts.map(([k, v]) => `<tr><th>${escape(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>
<p class="totals">Scenarios: <strong>${totals.passed}</strong> passed, <strong class="${totals.failed > 0 ? 'bad' : ''}">${totals.failed}</strong> failed, <strong>${totals.skipped}</strong> skipped, <strong>${totals.notRun}</strong> not run, of ${totals.total} in the feature files loaded.</p>
${exclusionTable}
${missingText}
<p>Drill-down: ${drillDownText}.</p>
</header>`;
}

function testCaseLinks(ids: readonly string[]): string {
  return ids.map(id => `<a href="#${id}">${id}</a>`).join(', ');
}

function scenarioStatusText(s: Scenario): string {
  if (s.status === 'not run') return `not run: ${s.reasonNotRun ?? ''}`;
  if (s.status === 'failed' && s.cucumberStatus && s.cucumberStatus !== 'FAILED') return `failed (${s.cucumberStatus.toLowerCase()})`;
  return s.status;
}

function matrixSection(rows: readonly TestCaseRow[], scenarios: readonly Scenario[], featureLink: (s: Scenario) => string, counts: MatrixCounts): string {
  const anchored = new Set<string>();
  const scenarioItem = (s: Scenario) => {
    const id = anchored.has(s.anchor) ? '' : ` id="${s.anchor}"`;
    anchored.add(s.anchor);
    const failure = s.failure && s.status !== 'passed' ? `<br><span class="failure">${escape(s.failure)}</span>` : '';
    const example = s.example ? `<br><span class="ex">${escape(s.example)}</span>` : '';
    return `<li${id}>${statusBadge(s.status, scenarioStatusText(s))} ${escape(s.name)} <a class="dd" href="${escape(featureLink(s))}">${escape(s.uri)}:${s.line}</a>${example}${failure}</li>`;
  };
  const byId = new Map(rows.map(r => [r.id, r]));
  const sections = PLAN_SECTIONS.map(section => {
    const subsections = section.subsections.map(sub => {
      const body = sub.testCases
        .map(tc => {
          const row = byId.get(tc.id)!;
          const list = row.scenarios.length > 0 ? `<ul class="sc">${row.scenarios.map(scenarioItem).join('')}</ul>` : '<span class="muted">none</span>';
          return `<tr id="${row.id}" data-test-case="${row.id}" data-status="${row.status.replace(' ', '-')}"><td class="id">${row.id}</td><td>${escape(row.title)}</td><td>${statusBadge(row.status, row.text)}</td><td>${list}</td></tr>`;
        })
        .join('');
      return `<h4 id="plan-${sub.id}">${sub.id} ${escape(sub.title)}</h4><table class="matrix"><thead><tr><th>test case</th><th>title</th><th>status</th><th>scenarios</th></tr></thead><tbody>${body}</tbody></table>`;
    });
    return `<h3 id="plan-${section.id}">${section.id} ${escape(section.title)} <span class="muted">(${escape(section.feature)})</span></h3>${subsections.join('')}`;
  });
  const untraced = scenarios.filter(s => s.testCases.length === 0);
  const untracedList =
    untraced.length === 0
      ? '<p>Every scenario names at least one test case of the plan.</p>'
      : `<h3 id="matrix-untraced">Scenarios that name no test case (${untraced.length})</h3><ul class="sc">${untraced.map(scenarioItem).join('')}</ul>`;
  return `<section id="matrix"><h2>Traceability matrix</h2>
<p>The plan's ${counts.rows} test cases: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.notRun} not run, ${counts.noScenario} without a scenario. A test case passed when every scenario of it that ran passed; it shows how many ran.</p>
${sections.join('\n')}
${untracedList}</section>`;
}

/** The scenarios whose Gherkin names a control ("the "max leverage" check", "the price move breaker") or one of its codes. */
function mentioning(scenarios: readonly Scenario[], names: readonly string[], codes: readonly string[]): Scenario[] {
  return scenarios.filter(s =>
    s.stepTexts.some(text => names.some(n => text.includes(`"${n}" check`) || text.includes(`"${n}" breaker`) || text.includes(`the ${n} breaker`)) || codes.some(c => text.includes(c))),
  );
}

function scenarioList(list: readonly Scenario[], links: (s: Scenario) => string): string {
  if (list.length === 0) return '<span class="muted">none in this run</span>';
  return `<ul class="sc">${list.map(s => `<li>${statusBadge(s.status, s.status === 'not run' ? `not run: ${s.reasonNotRun ?? ''}` : s.status)} ${links(s)}</li>`).join('')}</ul>`;
}

function controlsSection(scenarios: readonly Scenario[], links: (s: Scenario) => string): string {
  const byOrder = (list: Iterable<Scenario>) => [...new Set(list)].sort((a, b) => a.order - b.order);
  const rowsOf = (s: Scenario, kind: EvidenceKind, check: string) => s.evidence.filter(r => r.kind === kind && r.check === check);
  const checks = PRE_TRADE_CONTROLS.map(control => {
    const withRows = scenarios.filter(s => rowsOf(s, 'risk decision', control.check).length > 0);
    const proving = byOrder([...withRows, ...mentioning(scenarios, [control.check], control.codes)]);
    const atLimit = scenarios.filter(s => rowsOf(s, 'risk decision', control.check).some(r => r.outcome === 'allowed at limit'));
    const beyond = scenarios.filter(s => rowsOf(s, 'risk decision', control.check).some(r => r.outcome === 'rejected beyond'));
    const refusedAtLimit = scenarios.filter(s => rowsOf(s, 'risk decision', control.check).some(r => r.outcome === 'rejected at limit'));
    const pair = atLimit.length > 0 && beyond.length > 0;
    const boundary = [
      pair ? '<strong class="ok">boundary pair shown</strong>' : '<span class="muted">no boundary pair in this run</span>',
      atLimit.length > 0 ? `allowed at the limit in ${atLimit.length} scenario${atLimit.length === 1 ? '' : 's'}` : '',
      beyond.length > 0 ? `refused beyond it in ${beyond.length}` : '',
      refusedAtLimit.length > 0 ? `refused at the limit itself in ${refusedAtLimit.length}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    const codes = control.codes.length > 0 ? control.codes.map(c => `<a href="#${codeAnchor(c)}"><code>${c}</code></a>`).join('<br>') : '<span class="muted">never refuses</span>';
    return `<tr id="control-${control.check.replace(/ /g, '-')}" data-control="${escape(control.check)}" data-boundary-pair="${pair}"><td><strong>${escape(control.check)}</strong>${control.note ? `<br><span class="muted">${escape(control.note)}</span>` : ''}</td><td>${codes}</td><td>${settingCell(control.settings)}</td><td>${boundary}</td><td>${scenarioList(proving, links)}</td></tr>`;
  });
  const standard = new Set(STANDARD_BREAKERS.map(b => b.name));
  const breakerRow = (name: string, measure: string, response: string, settings: readonly string[]) => {
    const trips = scenarios.filter(s => rowsOf(s, 'breaker trip', name).some(r => r.outcome.startsWith('tripped')));
    const atLimit = scenarios.filter(s => rowsOf(s, 'breaker trip', name).some(r => r.outcome === 'tripped at limit'));
    const proving = byOrder([...scenarios.filter(s => rowsOf(s, 'breaker trip', name).length > 0), ...mentioning(scenarios, [name], [])]);
    const boundary = [
      trips.length > 0 ? `tripped in ${trips.length} scenario${trips.length === 1 ? '' : 's'}` : '<span class="muted">no trip in this run</span>',
      atLimit.length > 0 ? '<strong class="ok">tripped exactly at its limit</strong>' : '',
    ]
      .filter(Boolean)
      .join('; ');
    return `<tr id="control-breaker-${name.replace(/ /g, '-')}" data-control="${escape(name)}" data-boundary-pair="${atLimit.length > 0}"><td><strong>${escape(name)}</strong><br><span class="muted">${escape(measure)}</span></td><td>${escape(response)}</td><td>${settingCell(settings)}</td><td>${boundary}</td><td>${scenarioList(proving, links)}</td></tr>`;
  };
  const breakers = STANDARD_BREAKERS.map(b => {
    const levels = BREAKER_LEVEL_SETTINGS[b.name];
    const settings = [...(levels ? [levels.warning, levels.critical] : []), ...(BREAKER_EXTRA_SETTINGS[b.name] ?? [])];
    return breakerRow(b.name, b.measure, `${b.response}${b.liquidation !== 'none' ? `, liquidates (${b.liquidation})` : ''}`, settings);
  });
  const custom = [...new Set(scenarios.flatMap(s => s.evidence.filter(r => r.kind === 'breaker trip' && r.check && !standard.has(r.check) && !r.check.startsWith('market-wide')).map(r => r.check!)))].sort();
  const customRows = custom.map(name => breakerRow(name, 'registered by a scenario (a custom risk metric)', 'as registered', []));
  return `<section id="controls"><h2>Controls register</h2>
<p>Every pre-trade check the risk manager runs on an order (domain/risk) and every standard circuit breaker (domain/breakers), with the settings they read and their defaults. A check shows a <em>boundary pair</em> when the run has it allowing an order exactly at its limit and refusing one beyond it; a breaker, when it tripped exactly at its limit. The scenarios listed are those whose evidence has the control refusing or at its limit, or whose Gherkin names it.</p>
<h3 id="controls-checks">Pre-trade checks (${PRE_TRADE_CONTROLS.length})</h3>
<table class="controls"><thead><tr><th>check</th><th>rejection codes</th><th>settings (key, label = default)</th><th>boundary</th><th>scenarios that prove it</th></tr></thead><tbody>${checks.join('')}</tbody></table>
<h3 id="controls-breakers">Circuit breakers (${STANDARD_BREAKERS.length} standard${custom.length > 0 ? `, ${custom.length} registered in scenarios` : ''})</h3>
<p>Every breaker's response and recovery also read: ${settingCell(BREAKER_COMMON_SETTINGS)}.</p>
<table class="controls"><thead><tr><th>breaker</th><th>response</th><th>settings (key, label = default)</th><th>trips</th><th>scenarios that prove it</th></tr></thead><tbody>${[...breakers, ...customRows].join('')}</tbody></table>
</section>`;
}

const KINDS: readonly EvidenceKind[] = ['risk decision', 'breaker trip', 'broker error', 'reconciliation discrepancy'];
const PLURAL: Readonly<Record<EvidenceKind, string>> = { 'risk decision': 'Risk decisions', 'breaker trip': 'Breaker trips', 'broker error': 'Broker errors', 'reconciliation discrepancy': 'Reconciliation discrepancies' };
const GLOSSARY_CODES = new Set<string>([...Object.keys(REJECTION_CODE_MEANINGS), ...Object.keys(ERROR_KIND_MEANINGS), ...Object.keys(BREAKER_FAILURE_MEANINGS), ...Object.keys(HEALTH_FAILURE_MEANINGS)]);

function evidenceSection(scenarios: readonly Scenario[], links: (s: Scenario) => string): string {
  const ran = scenarios.filter(s => s.evidence.length > 0);
  const tables = KINDS.map(kind => {
    const groups = ran.map(s => ({ s, rows: s.evidence.filter(r => r.kind === kind) })).filter(g => g.rows.length > 0);
    const total = groups.reduce((n, g) => n + g.rows.length, 0);
    const id = `evidence-${kind.replace(/ /g, '-')}`;
    if (total === 0) return `<h3 id="${id}">${PLURAL[kind]}: none in this run</h3>`;
    const body = groups
      .map(({ s, rows }) => {
        const head = `<tr class="scn"><th colspan="8">${statusBadge(s.status)} ${links(s)}</th></tr>`;
        const lines = rows.map(r => {
          const code = r.code ? (GLOSSARY_CODES.has(r.code) ? `<a href="#${codeAnchor(r.code)}"><code>${escape(r.code)}</code></a>` : `<code>${escape(r.code)}</code>`) : '';
          const outcome = r.outcome.startsWith('rejected') || r.outcome.includes('failed') || r.outcome.startsWith('tripped') ? `<span class="bad">${escape(r.outcome)}</span>` : escape(r.outcome);
          return `<tr><td class="num">${r.seq}</td><td class="nw">${escape(r.orderId ?? '')}</td><td>${outcome}</td><td>${escape(r.check ?? '')}</td><td class="fig">${escape(r.observed ?? '')}</td><td class="fig">${escape(r.limit ?? '')}</td><td>${code}</td><td class="detail">${escape(r.detail ?? '')}</td></tr>`;
        });
        return head + lines.join('');
      })
      .join('');
    return `<h3 id="${id}">${PLURAL[kind]} (${total} in ${groups.length} scenario${groups.length === 1 ? '' : 's'})</h3><table class="evidence"><thead><tr><th>seq</th><th>order</th><th>outcome</th><th>check / breaker / operation / part</th><th>observed</th><th>limit</th><th>code</th><th>detail</th></tr></thead><tbody>${body}</tbody></table>`;
  });
  return `<section id="evidence"><h2>Evidence index</h2>
<p>Every risk decision, breaker trip, broker error and reconciliation discrepancy the run recorded, by scenario (the link goes to the scenario in the matrix; the bracket to its feature in the drill-down report). A risk decision is listed by the checks that refused it or that it met exactly at their limit; an approval that met no limit exactly is one row, "approved". Observed values and limits are as the decision recorded them.</p>
${tables.join('\n')}</section>`;
}

function glossarySection(scenarios: readonly Scenario[], errorPaths: ErrorPaths | undefined): string {
  const seen = new Map<string, number>();
  for (const s of scenarios) for (const r of s.evidence) if (r.code) seen.set(r.code, (seen.get(r.code) ?? 0) + 1);
  const covered = new Map((errorPaths?.codes ?? []).map(c => [c.code, c.scenarios.length]));
  const table = (title: string, id: string, meanings: Readonly<Record<string, string>>) => {
    const body = Object.entries(meanings)
      .map(([code, meaning]) => {
        const inPaths = errorPaths ? `<td class="num">${covered.get(code) ?? 0}</td>` : '';
        return `<tr id="${codeAnchor(code)}"><td><code>${escape(code)}</code></td><td>${escape(meaning)}</td><td class="num">${seen.get(code) ?? 0}</td>${inPaths}</tr>`;
      })
      .join('');
    return `<h3 id="${id}">${title} (${Object.keys(meanings).length})</h3><table class="glossary"><thead><tr><th>code</th><th>meaning</th><th>rows in this run's index</th>${errorPaths ? '<th>scenarios (error paths)</th>' : ''}</tr></thead><tbody>${body}</tbody></table>`;
  };
  return `<section id="glossary"><h2>Glossary</h2>
${table('Rejection codes of the pre-trade checks', 'glossary-rejection-codes', REJECTION_CODE_MEANINGS)}
${table('Error kinds', 'glossary-error-kinds', ERROR_KIND_MEANINGS)}
${table('Circuit breaker failures', 'glossary-breaker-failures', BREAKER_FAILURE_MEANINGS)}
${table('Health check failures', 'glossary-health-failures', HEALTH_FAILURE_MEANINGS)}
</section>`;
}

function figure(value: number | null | undefined): string {
  return value === undefined || value === null || !Number.isFinite(value) ? '' : new Decimal(value).toDecimalPlaces(3).toString();
}

function measuresSection(options: FrontPageOptions): string {
  const notMeasured = '<p class="muted">not measured in this run</p>';
  const coverage = readJson<CoverageSummary>(options.coverageSummary)?.total;
  const coverageHtml = coverage
    ? `<table><thead><tr><th>measure</th><th>covered</th><th>of</th><th>%</th><th>plan target</th><th>met</th></tr></thead><tbody>${['lines', 'statements', 'branches', 'functions']
        .filter(k => coverage[k])
        .map(k => {
          const c = coverage[k];
          const pct = Number(c.pct);
          const met = Number.isFinite(pct) && pct >= PLAN_TARGETS.integrationCoveragePercent;
          return `<tr><td>${k}</td><td class="num">${c.covered}</td><td class="num">${c.total}</td><td class="num">${escape(String(c.pct))}</td><td class="num">${PLAN_TARGETS.integrationCoveragePercent} %</td><td>${met ? '<span class="ok">yes</span>' : '<span class="bad">no</span>'}</td></tr>`;
        })
        .join('')}</tbody></table><p class="muted">From ${escape(options.coverageSummary ?? '')} (c8, the acceptance run's coverage of the code it drives).</p>`
    : notMeasured;

  const errorPaths = readJson<ErrorPaths>(options.errorPaths);
  let errorHtml = notMeasured;
  if (errorPaths && Array.isArray(errorPaths.codes) && errorPaths.codes.length > 0) {
    const withScenario = errorPaths.codes.filter(c => c.scenarios.length > 0);
    const pct = (withScenario.length / errorPaths.codes.length) * 100;
    const without = errorPaths.codes.filter(c => c.scenarios.length === 0);
    errorHtml = `<p><strong>${withScenario.length} of ${errorPaths.codes.length}</strong> error kinds and rejection codes have a scenario: <strong class="${pct >= PLAN_TARGETS.errorScenarioCoveragePercent ? 'ok' : 'bad'}">${pct.toFixed(1)} %</strong> against the plan's ${PLAN_TARGETS.errorScenarioCoveragePercent} %.</p>${
      without.length > 0 ? `<p>Without a scenario: ${without.map(c => `<a href="#${codeAnchor(c.code)}"><code>${escape(c.code)}</code></a> (${escape(c.kind)})`).join(', ')}</p>` : ''
    }<p class="muted">From ${escape(options.errorPaths ?? '')}.</p>`;
  }

  const bench = readJson<{ date?: string; node?: string; commit?: string; figures?: BenchFigure[] }>(options.benchJson);
  /** A latency is within its target at or under it (its p99, or its value when measured once); a rate at or above it. */
  const withinTarget = (f: BenchFigure): string => {
    const measured = f.value ?? f.p99;
    if (f.target === undefined || measured === null || measured === undefined) return '';
    const within = f.unit.endsWith('/s') ? measured >= f.target : measured <= f.target;
    return within ? '<span class="ok">yes</span>' : '<span class="bad">no</span>';
  };
  const latencyTargets = `<table><thead><tr><th>plan target</th><th>at most</th></tr></thead><tbody><tr><td>order flow latency</td><td class="num">${PLAN_TARGETS.orderFlowLatencyMs} ms</td></tr><tr><td>circuit breaker response</td><td class="num">${PLAN_TARGETS.breakerResponseMs} ms</td></tr><tr><td>error propagation</td><td class="num">${PLAN_TARGETS.errorPropagationMs} ms</td></tr><tr><td>recovery</td><td class="num">${PLAN_TARGETS.recoverySeconds} s</td></tr></tbody></table>`;
  const benchHtml =
    bench && Array.isArray(bench.figures) && bench.figures.length > 0
      ? `<p>Benchmark of ${escape(bench.date ?? 'an unknown date')}${bench.node ? `, node ${escape(bench.node)}` : ''}${bench.commit ? `, commit ${escape(bench.commit)}` : ''} (${escape(options.benchJson ?? '')}; <code>npm run bench</code>, not this run).</p><table><thead><tr><th>figure</th><th>unit</th><th>n</th><th>p50</th><th>p99</th><th>p99.9</th><th>value</th><th>floor</th><th>ratio to floor</th><th>target</th><th>within target</th></tr></thead><tbody>${bench.figures
          .map(
            f =>
              `<tr><td>${escape(f.name)}</td><td>${escape(f.unit)}</td><td class="num">${f.n}</td><td class="num">${figure(f.p50)}</td><td class="num">${figure(f.p99)}</td><td class="num">${figure(f.p999)}</td><td class="num">${figure(f.value)}</td><td class="num">${figure(f.floor)}</td><td class="num">${figure(f.ratio)}</td><td class="num">${figure(f.target)}</td><td>${withinTarget(f)}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : notMeasured;
  return `<section id="measures"><h2>Coverage and performance</h2>
<div class="panels">
<div class="panel" id="measures-coverage"><h3>Integration coverage</h3><p>Plan target: ${PLAN_TARGETS.integrationCoveragePercent} % of the integrated code.</p>${coverageHtml}</div>
<div class="panel" id="measures-error-scenarios"><h3>Error scenarios</h3><p>Plan target: ${PLAN_TARGETS.errorScenarioCoveragePercent} % of the error kinds and rejection codes with a scenario.</p>${errorHtml}</div>
<div class="panel" id="measures-latency"><h3>Latency</h3>${latencyTargets}${benchHtml}</div>
</div></section>`;
}

const STYLE = `
:root { color-scheme: light; --ok: #1a7f37; --bad: #b3261e; --warn: #9a6700; --muted: #59636e; --line: #d0d7de; --head: #f3f5f7; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 1rem 2rem 4rem; max-width: 1400px; color: #1f2328; }
h1 { font-size: 1.6rem; margin: .5rem 0; } h2 { margin-top: 2.5rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; } h3 { margin-top: 1.6rem; } h4 { margin: 1.2rem 0 .4rem; }
nav { margin: .5rem 0 1rem; } nav a { margin-right: .2rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .25rem .45rem; text-align: left; vertical-align: top; }
thead th { background: var(--head); position: sticky; top: 0; }
table.facts { width: auto; } table.facts th { background: var(--head); white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id { white-space: nowrap; font-weight: 600; }
td.nw { white-space: nowrap; } td.fig { text-align: right; font-variant-numeric: tabular-nums; max-width: 16rem; overflow-wrap: anywhere; }
table.evidence td.detail { max-width: 28rem; overflow-wrap: anywhere; } table.evidence code { overflow-wrap: anywhere; }
table.matrix td:nth-child(3) { width: 14rem; }
tr.scn th { background: #eef4fb; font-weight: 500; }
ul.sc { margin: 0; padding-left: 1.1rem; } ul.sc li { margin: .1rem 0; }
.st { display: inline-block; padding: 0 .35rem; border-radius: 3px; font-size: .85em; font-weight: 600; border: 1px solid currentColor; }
.st-ok, .ok { color: var(--ok); } .st-bad, .bad { color: var(--bad); } .st-warn { color: var(--warn); } .st-muted, .muted { color: var(--muted); }
.verdict { font-size: 1.2rem; font-weight: 700; padding: .5rem .8rem; border: 2px solid currentColor; display: inline-block; }
.ex, .failure { font-size: .9em; color: var(--muted); } .failure { color: var(--bad); }
a.dd { font-size: .85em; color: var(--muted); }
code { font-size: .92em; }
.panels { display: flex; flex-wrap: wrap; gap: 1rem; } .panel { flex: 1 1 380px; border: 1px solid var(--line); padding: 0 1rem; }
@media print { thead th { position: static; } }
`;

function page(body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trading risk specification: front page</title>
<style>${STYLE}</style></head>
<body>
${body}
</body></html>
`;
}

// ---------------------------------------------------------------------------------------------
// CLI

function optionalFile(file: string): string | undefined {
  return existsSync(file) ? file : undefined;
}

function main(argv: readonly string[]): number {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : argv.find(a => a.startsWith(`${name}=`))?.slice(name.length + 1);
  };
  const messages = (arg('--messages') ?? 'reports/messages.ndjson').split(',').filter(Boolean);
  const absent = messages.filter(f => !existsSync(f));
  if (absent.length > 0) {
    console.error(`front-page: no messages at ${absent.join(', ')}`);
    return 2;
  }
  let result: FrontPageResult;
  try {
    result = buildFrontPage({
      messages,
      runMetadataDir: arg('--run-metadata') ?? 'reports/run-metadata',
      outFile: arg('--out') ?? 'reports/index.html',
      benchJson: optionalFile(arg('--bench') ?? 'reports/bench.json'),
      coverageSummary: optionalFile(arg('--coverage') ?? 'reports/coverage/coverage-summary.json'),
      errorPaths: optionalFile(arg('--error-paths') ?? 'reports/error-paths.json'),
    });
  } catch (error) {
    console.error(`front-page: ${(error as Error).message}`);
    return 2;
  }
  const m = result.matrix;
  console.log(`front page: ${m.rows} test cases (${m.passed} passed, ${m.failed} failed, ${m.skipped} skipped, ${m.notRun} not run, ${m.noScenario} without a scenario), ${(result.bytes / 1024).toFixed(0)} KiB`);
  console.log(`Planned test cases without a scenario: ${result.missingTestCases.length === 0 ? 'none' : result.missingTestCases.join(', ')}`);
  if (result.missingInFeatureSections.length > 0) {
    console.error(`front-page: ${result.missingInFeatureSections.length} planned test case(s) of a section with a feature file have no scenario: ${result.missingInFeatureSections.join(', ')}`);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
