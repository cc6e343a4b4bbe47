import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVIDENCE_INDEX_MEDIA_TYPE, PRE_TRADE_CONTROLS, buildFrontPage } from '../scripts/front-page';
import type { FrontPageOptions } from '../scripts/front-page';
import { evidenceIndex } from '../support/evidence-index';
import type { EvidenceIndexRow } from '../support/evidence-index';
import type { DecisionRow, DomainEvent, StoredEvent } from '../domain/state';
import { REJECTION_CODE_MEANINGS } from '../domain/risk/rejection-codes';
import { PLAN_TEST_CASES } from '../support/plan-catalogue';

// ---- a hand-made run: the messages Cucumber 12 writes, as far as the front page reads them ----

interface FixtureScenario {
  readonly uri: string;
  readonly line: number;
  readonly name: string;
  readonly tags: readonly string[];
  /** The worst step's status; absent: the run did not select the scenario. */
  readonly status?: 'PASSED' | 'FAILED' | 'SKIPPED' | 'UNDEFINED';
  readonly message?: string;
  readonly steps?: readonly string[];
  readonly evidence?: readonly EvidenceIndexRow[];
  readonly rule?: string;
  /** Makes the scenario an example of an outline: its Examples' name, header and row. */
  readonly example?: { readonly name: string; readonly header: readonly string[]; readonly row: readonly string[] };
}

const ts = (seconds: number) => ({ seconds, nanos: 0 });

function messages(scenarios: readonly FixtureScenario[], options: { startedAt?: number } = {}): string {
  const start = options.startedAt ?? 1_767_225_600; // 2026-01-01T00:00:00Z
  const envelopes: unknown[] = [{ meta: { protocolVersion: '32.2.0', implementation: { name: 'cucumber-js', version: '12.9.0' }, runtime: { name: 'node.js', version: '20.20.2' }, os: { name: 'linux' }, cpu: { name: 'x64' } } }];
  for (const uri of [...new Set(scenarios.map(s => s.uri))]) {
    const own = scenarios.filter(s => s.uri === uri);
    const rules = [...new Set(own.map(s => s.rule ?? 'Rule: none'))];
    envelopes.push({
      gherkinDocument: {
        uri,
        comments: [],
        feature: {
          name: uri,
          children: rules.map(rule => ({
            rule: {
              name: rule,
              keyword: 'Rule',
              children: own
                .filter(s => (s.rule ?? 'Rule: none') === rule)
                .map(s => ({
                  scenario: {
                    id: `scn-${uri}-${s.line}`,
                    keyword: s.example ? 'Scenario Outline' : 'Scenario',
                    name: s.name,
                    location: { line: s.line - (s.example ? 4 : 0) },
                    examples: s.example
                      ? [{ keyword: 'Examples', name: s.example.name, tableHeader: { id: `head-${s.line}`, location: { line: s.line - 1 }, cells: s.example.header.map(value => ({ value })) }, tableBody: [{ id: `row-${uri}-${s.line}`, location: { line: s.line }, cells: s.example.row.map(value => ({ value })) }] }]
                      : [],
                  },
                })),
            },
          })),
        },
      },
    });
  }
  for (const s of scenarios) {
    const astNodeIds = s.example ? [`scn-${s.uri}-${s.line}`, `row-${s.uri}-${s.line}`] : [`scn-${s.uri}-${s.line}`];
    envelopes.push({ pickle: { id: `p-${s.uri}-${s.line}`, uri: s.uri, location: { line: s.line, column: 5 }, astNodeIds, tags: s.tags.map(name => ({ name, astNodeId: 't' })), name: s.name, language: 'en', steps: (s.steps ?? ['a step']).map((text, i) => ({ id: `st-${s.line}-${i}`, text, type: 'Action', astNodeIds: [] })) } });
  }
  envelopes.push({ testRunStarted: { id: 'run', timestamp: ts(start) } });
  let clock = start;
  for (const s of scenarios) {
    if (!s.status) continue;
    envelopes.push({ testCase: { id: `tc-${s.uri}-${s.line}`, pickleId: `p-${s.uri}-${s.line}`, testSteps: [], testRunStartedId: 'run' } });
  }
  for (const s of scenarios) {
    if (!s.status) continue;
    const started = `tcs-${s.uri}-${s.line}`;
    envelopes.push({ testCaseStarted: { id: started, testCaseId: `tc-${s.uri}-${s.line}`, attempt: 0, timestamp: ts(clock++) } });
    envelopes.push({ testStepFinished: { testCaseStartedId: started, testStepId: 'hook', testStepResult: { status: 'PASSED', duration: ts(0) }, timestamp: ts(clock) } });
    envelopes.push({ testStepFinished: { testCaseStartedId: started, testStepId: 'step', testStepResult: { status: s.status, duration: ts(0), ...(s.message ? { message: s.message } : {}) }, timestamp: ts(clock) } });
    envelopes.push({ attachment: { testCaseStartedId: started, testStepId: 'after', mediaType: 'text/html', contentEncoding: 'IDENTITY', body: '<h4>timeline</h4>' } });
    if (s.evidence) envelopes.push({ attachment: { testCaseStartedId: started, testStepId: 'after', mediaType: EVIDENCE_INDEX_MEDIA_TYPE, contentEncoding: 'IDENTITY', body: JSON.stringify(s.evidence) } });
    envelopes.push({ testCaseFinished: { testCaseStartedId: started, timestamp: ts(clock), willBeRetried: false } });
  }
  const success = scenarios.every(s => !s.status || s.status === 'PASSED');
  envelopes.push({ testRunFinished: { testRunStartedId: 'run', timestamp: ts(clock + 1), success } });
  return envelopes.map(e => JSON.stringify(e)).join('\n') + '\n';
}

const rejectedLeverage: EvidenceIndexRow = { kind: 'risk decision', seq: 7, orderId: 'CO-000002', outcome: 'rejected beyond', check: 'max leverage', observed: '4.00x', limit: '3.00x', code: 'LEVERAGE_EXCEEDS_MAXIMUM' };
const atLimitCollar: EvidenceIndexRow = { kind: 'risk decision', seq: 5, orderId: 'CO-000001', outcome: 'allowed at limit', check: 'price collar', observed: '5 % from mark', limit: '5 %', code: 'PASSED' };
const beyondCollar: EvidenceIndexRow = { kind: 'risk decision', seq: 5, orderId: 'CO-000001', outcome: 'rejected beyond', check: 'price collar', observed: '5.001 % from mark', limit: '5 %', code: 'PRICE_OUTSIDE_COLLAR' };
const trip: EvidenceIndexRow = { kind: 'breaker trip', seq: 12, outcome: 'tripped at limit', check: 'daily loss', observed: '500.00 USD', limit: '500.00 USD', detail: 'response HALTED' };

const ORDER_FLOW = 'features/order-flow.feature';
const BREAKERS = 'features/circuit-breakers.feature';
const BROKER_ERRORS = 'features/broker-errors.feature';

/** A run in process: 4.1 and 4.2 partly run, 4.3 needs the wire, 4.4 and 4.5 not loaded. */
const RUN: readonly FixtureScenario[] = [
  { uri: ORDER_FLOW, line: 28, name: 'A market order passes every check and fills', tags: ['@order-flow', '@TC-IF-001', '@smoke'], status: 'PASSED', rule: '4.1.1 An order\'s whole life', evidence: [{ kind: 'risk decision', seq: 4, orderId: 'CO-000001', outcome: 'approved' }] },
  {
    uri: ORDER_FLOW,
    line: 54,
    name: 'At its boundary a limit holds: price collar at 52,500 USD',
    tags: ['@order-flow', '@TC-IF-002'],
    status: 'PASSED',
    example: { name: 'price collar, one tick over', header: ['price', 'verdict'], row: ['52,500 USD', 'passes'] },
    steps: ['the trader buys 0.1 BTC-PERP with a limit of 52,500 USD', 'the "price collar" check passes with 0.05 against a limit of 0.05'],
    evidence: [atLimitCollar],
  },
  {
    uri: ORDER_FLOW,
    line: 55,
    name: 'At its boundary a limit holds: price collar at 52,500.5 USD',
    tags: ['@order-flow', '@TC-IF-002'],
    status: 'PASSED',
    example: { name: 'price collar, one tick over', header: ['price', 'verdict'], row: ['52,500.5 USD', 'fails'] },
    evidence: [beyondCollar],
  },
  { uri: ORDER_FLOW, line: 80, name: 'Leverage beyond the maximum is refused', tags: ['@order-flow', '@TC-IF-010'], status: 'FAILED', message: 'AssertionError: expected 4.00x to equal 3.00x\n    at stack', steps: ['the order is rejected by the "max leverage" check'], evidence: [rejectedLeverage] },
  { uri: ORDER_FLOW, line: 90, name: 'A restart recovers every order', tags: ['@order-flow', '@TC-IF-017', '@wire-only'] },
  { uri: ORDER_FLOW, line: 95, name: 'A restart in process recovers too', tags: ['@order-flow', '@TC-IF-017'], status: 'PASSED' },
  { uri: BREAKERS, line: 40, name: 'The daily loss breaker trips at its limit and halts trading', tags: ['@circuit-breakers', '@TC-CB-001'], status: 'PASSED', evidence: [trip], steps: ['the "daily loss" breaker trips'] },
  { uri: BREAKERS, line: 60, name: 'Volatility trips the breaker', tags: ['@circuit-breakers', '@TC-CB-003', '@slow'] },
  { uri: BROKER_ERRORS, line: 30, name: 'A 429 is retried after Retry-After', tags: ['@broker-errors', '@wire-only', '@TC-BE-002'] },
];

interface Built {
  readonly html: string;
  readonly result: ReturnType<typeof buildFrontPage>;
}

/** Builds the page from a run in a fresh directory: its messages, its workers' metadata and run.json. */
function build(shards: readonly string[], extra: Partial<FrontPageOptions> & { request?: object; workers?: object[]; features?: Record<string, string> } = {}): Built {
  const dir = mkdtempSync(join(tmpdir(), 'front-page-'));
  try {
    const files = shards.map((text, i) => {
      const file = join(dir, `messages-${i}.ndjson`);
      writeFileSync(file, text);
      return file;
    });
    const meta = join(dir, 'run-metadata');
    mkdirSync(meta);
    const workers = extra.workers ?? [{ version: '0.1.0', gitCommit: 'abc1234-dirty', seed: 4242, transport: 'in-process', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:10.000Z' }];
    workers.forEach((w, i) => writeFileSync(join(meta, `worker-${i}.json`), JSON.stringify(w)));
    writeFileSync(join(meta, 'run.json'), JSON.stringify(extra.request ?? { profile: 'ci', tagFilter: 'not @wire-only', passThrough: [], seed: 4242 }));
    for (const [file, text] of Object.entries(extra.features ?? {})) {
      mkdirSync(join(dir, 'root', 'features'), { recursive: true });
      writeFileSync(join(dir, 'root', file), text);
    }
    mkdirSync(join(dir, 'root'), { recursive: true });
    const { request: _request, workers: _workers, features: _features, ...options } = extra;
    const result = buildFrontPage({ messages: files, runMetadataDir: meta, outFile: join(dir, 'out', 'index.html'), projectRoot: join(dir, 'root'), ...options });
    return { html: readFileSync(result.file, 'utf8'), result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The matrix row of a test case: its status cell's text and data-status. */
function matrixRow(html: string, id: string): { status: string; text: string; row: string } {
  const match = new RegExp(`<tr id="${id}" data-test-case="${id}" data-status="([a-z-]+)">(.*?)</tr>(?=<tr id="TC-|</tbody>)`, 's').exec(html);
  assert.ok(match, `a matrix row for ${id}`);
  const text = match[2].replace(/<[^>]+>/g, ' ').replace(/&quot;/g, '"').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
  return { status: match[1], text, row: match[2] };
}

function sectionOf(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  assert.ok(start >= 0, `section ${id}`);
  return html.slice(start, html.indexOf('</section>', start));
}

describe('the front page', () => {
  test('has exactly one matrix row per planned test case, 81 in all, in the plan\'s order', () => {
    const { html, result } = build([messages(RUN)]);
    const ids = [...html.matchAll(/<tr[^>]* data-test-case="(TC-[A-Z]+-\d{3})"/g)].map(m => m[1]);
    assert.equal(ids.length, 81);
    assert.deepEqual(ids, PLAN_TEST_CASES.map(tc => tc.id));
    assert.equal(result.matrix.rows, 81);
  });

  test('gives each test case the status its scenarios earned, and says why one did not run', () => {
    const { html, result } = build([messages(RUN)]);
    assert.equal(matrixRow(html, 'TC-IF-001').status, 'passed');
    assert.equal(matrixRow(html, 'TC-IF-002').status, 'passed');
    assert.match(matrixRow(html, 'TC-IF-002').text, /passed: 2 of 2 scenarios/);
    const leverage = matrixRow(html, 'TC-IF-010');
    assert.equal(leverage.status, 'failed');
    assert.match(leverage.text, /AssertionError: expected 4.00x to equal 3.00x/, 'the failure is on the page');
    // In process: a @wire-only scenario did not run because it needs the wire.
    const wire = matrixRow(html, 'TC-BE-002');
    assert.equal(wire.status, 'not-run');
    assert.match(wire.text, /not run: needs the wire/);
    const restart = matrixRow(html, 'TC-IF-017');
    assert.equal(restart.status, 'passed');
    assert.match(restart.text, /passed: 1 of 2 scenarios run; 1 not run: needs the wire/);
    assert.match(matrixRow(html, 'TC-CB-003').text, /not run: not selected by this run/);
    // A planned test case no scenario names, in a section whose feature the run loaded, fails the run.
    assert.equal(matrixRow(html, 'TC-IF-003').status, 'no-scenario');
    assert.ok(result.missingInFeatureSections.includes('TC-IF-003'));
    assert.ok(!result.missingInFeatureSections.includes('TC-MC-001'), 'a section without a feature file does not fail the run');
    assert.match(matrixRow(html, 'TC-MC-001').text, /section 4.4 has no feature file yet/);
    assert.deepEqual(result.scenarios, { total: 9, passed: 5, failed: 1, skipped: 0, notRun: 3 });
  });

  test('names the examples row of an outline and anchors each scenario once', () => {
    const { html } = build([messages(RUN)]);
    assert.match(matrixRow(html, 'TC-IF-002').text, /Examples "price collar, one tick over", row 1: price 52,500 USD, verdict passes/);
    const anchors = [...html.matchAll(/ id="(sc-[^"]+)"/g)].map(m => m[1]);
    assert.equal(new Set(anchors).size, anchors.length, 'anchors are unique');
    assert.ok(anchors.includes('sc-order-flow-55'));
    assert.match(html, /<a class="dd" href="html\/features\/order-flow.html">features\/order-flow.feature:55<\/a>/, 'the drill-down link is the feature\'s page');
  });

  test('the header gives one seed, the commit and whether it is dirty, the transport, the tag filter and what the filter drops', () => {
    const { html } = build([messages(RUN)], { request: { profile: 'smoke', tagFilter: '(@smoke) and not @wire-only', passThrough: ['--parallel', '2'], seed: 4242 } });
    const header = html.slice(html.indexOf('<header id="run">'), html.indexOf('</header>'));
    assert.match(header, /4242 \(every worker; replay with SEED=4242\)/);
    assert.match(header, /abc1234 \(dirty/);
    assert.match(header, /in-process/);
    assert.match(header, /\(@smoke\) and not @wire-only/);
    assert.match(header, /--parallel 2/);
    assert.match(header, /2026-01-01T00:00:00.000Z/);
    // Both @wire-only scenarios are outside @smoke too; the volatility one only outside @smoke.
    assert.match(header, /needs the wire; excluded by the tag filter \(@smoke\) and not @wire-only<\/td><td class="num">2<\/td><td>1 : <a href="#TC-BE-002">TC-BE-002<\/a><\/td><td>1 : <a href="#TC-IF-017">TC-IF-017<\/a>/);
    assert.match(header, /<td>excluded by the tag filter \(@smoke\) and not @wire-only<\/td><td class="num">1<\/td><td>1 : <a href="#TC-CB-003">TC-CB-003<\/a>/);
    assert.match(header, /NOT PROVEN: 1 failed/);
  });

  test('says so when the workers ran under different seeds', () => {
    const workers = [
      { version: '0.1.0', gitCommit: 'abc1234', seed: 1, transport: 'wire' },
      { version: '0.1.0', gitCommit: 'abc1234', seed: 2, transport: 'wire' },
    ];
    const { html } = build([messages(RUN)], { workers });
    assert.match(html, /the workers ran under different seeds: 1, 2/);
    assert.match(html, /abc1234 \(clean\)/);
  });

  test('fails when a scenario names a test case the plan does not list', () => {
    const run = [...RUN, { uri: ORDER_FLOW, line: 200, name: 'A scenario of no plan', tags: ['@TC-IF-099'], status: 'PASSED' as const }];
    assert.throws(() => build([messages(run)]), /@TC-IF-099 on "A scenario of no plan" \(features\/order-flow.feature:200\)/);
  });

  test('indexes every decision, trip and error by scenario, findable by its code, linked to the glossary', () => {
    const { html } = build([messages(RUN)]);
    const evidence = sectionOf(html, 'evidence');
    assert.match(evidence, /<a href="#code-LEVERAGE_EXCEEDS_MAXIMUM"><code>LEVERAGE_EXCEEDS_MAXIMUM<\/code><\/a>/);
    assert.match(evidence, /CO-000002/);
    assert.match(evidence, /4.00x.*3.00x/);
    assert.match(evidence, /<a href="#sc-order-flow-80">Leverage beyond the maximum is refused<\/a> <a class="dd" href="html\/features\/order-flow.html"/);
    assert.match(evidence, /tripped at limit/);
    assert.match(evidence, /Broker errors: none in this run/);
    const glossary = sectionOf(html, 'glossary');
    for (const code of Object.keys(REJECTION_CODE_MEANINGS)) assert.match(glossary, new RegExp(`<tr id="code-${code}">`));
    assert.match(glossary, /<tr id="code-RateLimited">/, 'error kinds are in the glossary');
  });

  test('marks a check with a boundary pair: allowed at its limit and refused beyond it', () => {
    const { html } = build([messages(RUN)]);
    const controls = sectionOf(html, 'controls');
    assert.match(controls, /data-control="price collar" data-boundary-pair="true"/);
    assert.match(controls, /data-control="max leverage" data-boundary-pair="false"/);
    assert.match(controls, /<code>price_collar_pct<\/code> price collar \(% from mark\) = <strong>5<\/strong>/);
    const leverage = controls.slice(controls.indexOf('data-control="max leverage"'));
    assert.match(leverage.slice(0, leverage.indexOf('</tr>')), /Leverage beyond the maximum is refused/);
    assert.match(controls, /data-control="daily loss" data-boundary-pair="true"/, 'a breaker that tripped exactly at its limit');
  });

  test('merges shards: a scenario run in either counts once, with its result', () => {
    const first = RUN.map(s => (s.line === 80 ? { ...s, status: undefined } : s));
    const second = RUN.map(s => (s.line === 80 ? s : { ...s, status: undefined }));
    const { html, result } = build([messages(first), messages(second, { startedAt: 1_767_225_700 })]);
    assert.equal(matrixRow(html, 'TC-IF-010').status, 'failed');
    assert.equal(result.scenarios.total, 9);
    assert.equal(result.scenarios.failed, 1);
    assert.match(html, /2 message files/);
  });

  test('a section whose feature the run did not load shows its test cases not run, not missing', () => {
    const { html, result } = build([messages(RUN)], { features: { 'features/reconciliation.feature': 'Feature: x\n  @TC-RC-001\n  Scenario: y\n' } });
    assert.match(matrixRow(html, 'TC-RC-001').text, /not run: features\/reconciliation.feature was not part of this run/);
    assert.ok(result.missingInFeatureSections.includes('TC-RC-002'), 'the section has a feature file, and no scenario for TC-RC-002');
  });

  test('shows coverage, error scenarios and latency beside the plan\'s targets, or says they were not measured', () => {
    const bare = sectionOf(build([messages(RUN)]).html, 'measures');
    assert.equal(bare.match(/not measured in this run/g)?.length, 3);
    const dir = mkdtempSync(join(tmpdir(), 'front-page-measures-'));
    try {
      const coverageSummary = join(dir, 'coverage-summary.json');
      writeFileSync(coverageSummary, JSON.stringify({ total: { lines: { total: 1000, covered: 871, skipped: 0, pct: 87.1 }, statements: { total: 1100, covered: 900, skipped: 0, pct: 81.81 }, functions: { total: 10, covered: 9, skipped: 0, pct: 90 }, branches: { total: 10, covered: 8, skipped: 0, pct: 80 } } }));
      const errorPaths = join(dir, 'error-paths.json');
      writeFileSync(errorPaths, JSON.stringify({ codes: [{ code: 'RateLimited', kind: 'error kind', meaning: 'm', scenarios: ['s'] }, { code: 'NO_LIQUIDITY', kind: 'rejection code', meaning: 'm', scenarios: [] }] }));
      const benchJson = join(dir, 'bench.json');
      writeFileSync(
        benchJson,
        JSON.stringify({
          date: '2026-01-02',
          node: 'v22.12.0',
          commit: 'abc1234',
          figures: [
            { name: 'place -> ack, wire', unit: 'ms', n: 2000, p50: 1.2, p99: 3.4, p999: 9.9, floor: 0.5, ratio: 2.4, target: 100 },
            { name: 'breaker response, wire', unit: 'us', n: 100, p50: 40000, p99: 60000, p999: 61000, target: 50000 },
            { name: 'reconciliation records/s', unit: 'records/s', n: 110000, p50: null, p99: null, p999: null, value: 250000, target: 100000 },
            { name: 'reconciliation records/s, slow', unit: 'records/s', n: 110000, p50: null, p99: null, p999: null, value: 90000, target: 100000 },
            { name: 'recovery, 100,000 fills', unit: 'us', n: 100000, p50: null, p99: null, p999: null, value: 4200000, target: 5000000 },
          ],
        }),
      );
      const measures = sectionOf(build([messages(RUN)], { coverageSummary, errorPaths, benchJson }).html, 'measures');
      assert.doesNotMatch(measures, /not measured in this run/);
      assert.match(measures, /<td>lines<\/td><td class="num">871<\/td><td class="num">1000<\/td><td class="num">87.1<\/td><td class="num">85 %<\/td><td><span class="ok">yes<\/span>/);
      assert.match(measures, /1 of 2<\/strong> error kinds and rejection codes have a scenario: <strong class="bad">50.0 %<\/strong> against the plan's 95 %/);
      assert.match(measures, /Without a scenario: <a href="#code-NO_LIQUIDITY">/);
      assert.match(measures, /place -&gt; ack, wire<\/td><td>ms<\/td><td class="num">2000<\/td><td class="num">1.2<\/td><td class="num">3.4<\/td>.*<span class="ok">yes<\/span>/);
      assert.match(measures, /Benchmark of 2026-01-02, node v22.12.0, commit abc1234/);
      // A latency's p99 over its target misses it; a rate is within its target at or above it; a figure measured once is held by its value.
      assert.match(measures, /breaker response, wire<\/td>(<td[^>]*>[^<]*<\/td>){9}<td><span class="bad">no<\/span>/);
      assert.match(measures, /reconciliation records\/s<\/td><td>records\/s<\/td><td class="num">110000<\/td><td class="num"><\/td><td class="num"><\/td><td class="num"><\/td><td class="num">250000<\/td><td class="num"><\/td><td class="num"><\/td><td class="num">100000<\/td><td><span class="ok">yes<\/span>/);
      assert.match(measures, /reconciliation records\/s, slow<\/td>(<td[^>]*>[^<]*<\/td>){9}<td><span class="bad">no<\/span>/);
      assert.match(measures, /recovery, 100,000 fills<\/td>(<td[^>]*>[^<]*<\/td>){9}<td><span class="ok">yes<\/span>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('needs nothing from the network: no script, stylesheet or image is fetched', () => {
    const { html } = build([messages(RUN)]);
    assert.doesNotMatch(html, /<script|<link|<img|https?:\/\//);
  });
});

// ---- the evidence index, from the events a scenario recorded ----

function log(events: DomainEvent[]): StoredEvent[] {
  return events.map((e, i) => ({ ...e, seq: i + 1, at: '2026-01-05T15:00:00.000Z', prevHash: 'p', hash: `h${i + 1}` }) as StoredEvent);
}

const passed = (check: string, observedValue?: string, limitValue?: string): DecisionRow => ({ check, observed: observedValue ?? 'ok', limit: limitValue ?? 'ok', passed: true, code: 'PASSED', ...(observedValue ? { observedValue, limitValue } : {}) });

describe('the evidence index', () => {
  test('lists a decision by its refusals and the checks it met exactly at their limit', () => {
    const rows = evidenceIndex(
      log([
        { type: 'RiskCheckPassed', payload: { clientOrderId: 'CO-1', settingsVersion: 1, checks: [passed('tradable instrument'), passed('price collar', '0.05', '0.050')] } },
        { type: 'RiskCheckPassed', payload: { clientOrderId: 'CO-2', settingsVersion: 1, checks: [passed('max leverage', '1', '5')] } },
        {
          type: 'OrderRejected',
          payload: {
            clientOrderId: 'CO-3',
            stage: 'risk',
            reasonCode: 'LEVERAGE_EXCEEDS_MAXIMUM',
            reason: 'too much',
            settingsVersion: 1,
            checks: [passed('price collar', '0.01', '0.05'), { check: 'max leverage', observed: '4.00x', limit: '3.00x', observedValue: '4', limitValue: '3', passed: false, code: 'LEVERAGE_EXCEEDS_MAXIMUM' }],
          },
        },
        { type: 'OrderRejected', payload: { clientOrderId: 'CO-4', stage: 'risk', reasonCode: 'DAILY_LOSS_LIMIT_REACHED', reason: 'loss', settingsVersion: 1, checks: [{ check: 'daily loss limit', observed: '500.00 USD', limit: '500.00 USD', observedValue: '500', limitValue: '500', passed: false, code: 'DAILY_LOSS_LIMIT_REACHED' }] } },
        { type: 'OrderRejected', payload: { clientOrderId: 'CO-5', stage: 'risk', reasonCode: 'SYMBOL_HALTED', reason: 'halt', settingsVersion: 1, checks: [{ check: 'trading halt', observed: 'halted', limit: 'open', passed: false, code: 'SYMBOL_HALTED' }] } },
      ]),
    );
    assert.deepEqual(
      rows.map(r => [r.orderId, r.outcome, r.check, r.code]),
      [
        ['CO-1', 'allowed at limit', 'price collar', 'PASSED'],
        ['CO-2', 'approved', undefined, undefined],
        ['CO-3', 'rejected beyond', 'max leverage', 'LEVERAGE_EXCEEDS_MAXIMUM'],
        ['CO-4', 'rejected at limit', 'daily loss limit', 'DAILY_LOSS_LIMIT_REACHED'],
        ['CO-5', 'rejected', 'trading halt', 'SYMBOL_HALTED'],
      ],
    );
    assert.deepEqual([rows[2].observed, rows[2].limit, rows[2].seq], ['4.00x', '3.00x', 3]);
  });

  test('lists breaker trips, broker errors once per order, and every discrepancy of a reconciliation run', () => {
    const rows = evidenceIndex(
      log([
        { type: 'BreakerTripped', payload: { breaker: 'daily loss', level: 'critical', observed: '500', limit: '500', observedText: '500.00 USD', limitText: '500.00 USD', response: 'HALTED', limitsBefore: {} } },
        { type: 'BreakerActionTaken', payload: { breaker: 'daily loss', action: 'cancel order', outcome: 'failed', detail: 'no confirmation', code: 'CANCEL_FAILED', clientOrderId: 'CO-9', errorKind: 'Timeout' } },
        { type: 'BreakerActionTaken', payload: { breaker: 'daily loss', action: 'alert raised', outcome: 'done', detail: 'alert' } },
        {
          type: 'BrokerErrorRecorded',
          payload: { broker: 'SIM', operation: 'place', errorKind: 'RateLimited', httpStatus: 429, clientOrderId: 'CO-10', reason: 'slow down', causeChain: ['RateLimited'], path: [{ layer: 'broker gateway', saw: 'HTTP 429' }, { layer: 'execution coordinator', saw: 'refused the order' }] },
        },
        { type: 'OrderRejected', payload: { clientOrderId: 'CO-10', stage: 'broker', reasonCode: 'RATE_LIMITED', reason: 'slow down' } },
        { type: 'OrderRejected', payload: { clientOrderId: 'CO-11', stage: 'broker', reasonCode: 'POST_ONLY_WOULD_CROSS', reason: 'venue said no' } },
        {
          type: 'ReconciliationCompleted',
          payload: {
            runId: 'R-1',
            trigger: 'start-up',
            broker: 'SIM',
            status: 'complete',
            parts: [],
            records: 3,
            startedAt: '2026-01-05T15:00:00.000Z',
            discrepancies: [
              { class: 'missing fill', part: 'trades', subject: { clientOrderId: 'CO-12', tradeId: 'T-1' }, ours: '0.5 filled', broker: '0.8 filled', difference: '0.3', tolerance: null, policy: 'infer', resolution: 'inferred fill applied', events: [9] },
              { class: 'balance drift', part: 'balances', subject: { currency: 'USD' }, ours: '1000', broker: '990', difference: '-10', tolerance: '0.01', policy: 'escalate', resolution: 'escalated as item R-1-1', events: [10], itemId: 'R-1-1' },
            ],
          },
        },
      ]),
    );
    assert.deepEqual(
      rows.map(r => [r.kind, r.outcome, r.check, r.code, r.orderId]),
      [
        ['breaker trip', 'tripped at limit', 'daily loss', undefined, undefined],
        ['breaker trip', 'cancel order: failed', 'daily loss', 'CANCEL_FAILED', 'CO-9'],
        ['broker error', 'execution coordinator: refused the order', 'SIM place', 'RateLimited', 'CO-10'],
        ['broker error', 'rejected by the broker', undefined, 'POST_ONLY_WOULD_CROSS', 'CO-11'],
        ['reconciliation discrepancy', 'infer: inferred fill applied', 'trades T-1', 'missing fill', 'CO-12'],
        ['reconciliation discrepancy', 'escalate: escalated as item R-1-1', 'balances USD', 'balance drift', undefined],
      ],
    );
    assert.equal(rows[2].observed, 'HTTP 429');
    assert.equal(rows[5].limit, 'tolerance 0.01');
  });
});

// ---- the register against the domain it describes ----

describe('the controls register', () => {
  test('has every check the risk manager runs, by the name its decisions carry', () => {
    const source = ['pre-trade-checks.ts', 'market-checks.ts'].map(f => readFileSync(join('domain', 'risk', f), 'utf8')).join('\n');
    const named = new Set([...source.matchAll(/(?:(?:\brow|\bpass|notTaking|exposureRow)\(\s*(?:context,\s*)?|const check = )'([a-z][a-z -]+)'/g)].map(m => m[1]));
    assert.ok(named.size >= 20, `found the checks' names in domain/risk (${[...named].join(', ')})`);
    assert.deepEqual([...named].sort(), PRE_TRADE_CONTROLS.map(c => c.check).sort());
  });

  test('gives every rejection code to a check', () => {
    const owned = new Set(PRE_TRADE_CONTROLS.flatMap(c => c.codes));
    assert.deepEqual(Object.keys(REJECTION_CODE_MEANINGS).filter(code => !owned.has(code as never)), []);
  });
});

// ---- the Before hook of support/plan-tags.ts, in a real Cucumber run ----

test('a scenario tagged with a test case the plan lacks fails the run; its neighbour passes', () => {
  const out = mkdtempSync(join(tmpdir(), 'plan-tags-'));
  try {
    const run = spawnSync(
      process.execPath,
      [
        'node_modules/@cucumber/cucumber/bin/cucumber-js',
        'test/fixtures/unknown-test-case.feature',
        '--require-module', 'ts-node/register',
        '--require', 'support/**/*.ts',
        '--require', 'test/fixtures/unchecked-error.steps.ts',
        '--config', 'test/fixtures/cucumber.fixture.js',
        '--format', `message:${join(out, 'messages.ndjson')}`,
      ],
      { env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', BROKER_TRANSPORT: 'in-process' }, encoding: 'utf8', timeout: 100_000 },
    );
    assert.notEqual(run.status, 0, 'the run fails');
    const envelopes = readFileSync(join(out, 'messages.ndjson'), 'utf8').trim().split('\n').map(line => JSON.parse(line) as Record<string, { status?: string; message?: string; testStepResult?: { status: string; message?: string } }>);
    const failures = envelopes.filter(e => e.testStepFinished?.testStepResult?.status === 'FAILED').map(e => e.testStepFinished.testStepResult!.message ?? '');
    assert.equal(failures.length, 1, 'exactly one scenario fails');
    assert.match(failures[0], /tagged with @TC-IF-999, which the plan's catalogue \(support\/plan-catalogue.ts\) does not list/);
    assert.ok(readdirSync(out).includes('messages.ndjson'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
