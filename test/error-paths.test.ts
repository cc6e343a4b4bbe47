import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CODE_LISTS, ERROR_PATH_CATALOGUE, ErrorPathCollector, codesCarriedBy, codesOfRaisedError } from '../support/error-paths';
import type { WorkerErrorPaths } from '../support/error-paths';
import { describeTable, mergeErrorPaths, readWorkerReports } from '../scripts/error-paths';
import { TradingError, asTradingError } from '../domain/shared/errors';
import { parseDecimal } from '../domain/shared/decimal';

const ROOT = join(__dirname, '..');

/** The string literals of the union type a file declares for its codes, read from the source. */
function unionLiterals(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const unions = [...source.matchAll(/export type (\w+) =([^;]+);/g)]
    .map(([, , body]) => body.replace(/\/\/.*$/gm, '').trim())
    .filter(body => /^\|?\s*'[^']+'(\s*\|\s*'[^']+')*$/.test(body));
  assert.equal(unions.length, 1, `${file} declares one union of codes`);
  return [...unions[0].matchAll(/'([^']+)'/g)].map(([, code]) => code).sort();
}

function domainFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory() ? domainFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

test('the table lists exactly the codes of each of the domain\'s union types', () => {
  for (const { kind, declaredIn } of CODE_LISTS) {
    const listed = ERROR_PATH_CATALOGUE.filter(entry => entry.kind === kind).map(entry => entry.code).sort();
    assert.deepEqual(listed, unionLiterals(declaredIn), `${kind} (${declaredIn})`);
  }
  assert.ok(ERROR_PATH_CATALOGUE.every(entry => entry.meaning.length > 0));
  const keys = ERROR_PATH_CATALOGUE.map(entry => entry.code);
  assert.equal(new Set(keys).size, keys.length, 'no code is in two lists');
});

test('every list of meanings the domain declares is in the table', () => {
  for (const file of domainFiles(join(ROOT, 'domain'))) {
    const names = [...readFileSync(file, 'utf8').matchAll(/export const (\w+_MEANINGS)\b/g)].map(([, name]) => name);
    for (const name of names) {
      const meanings = (require(file) as Record<string, unknown>)[name];
      assert.ok(CODE_LISTS.some(list => list.meanings === meanings), `${name} in ${relative(ROOT, file)} is not in CODE_LISTS of support/error-paths.ts`);
    }
  }
});

test('an event carries its error kinds, its cause chain\'s kinds, and the codes of the checks that failed', () => {
  const rejected = codesCarriedBy({
    type: 'OrderRejected',
    payload: {
      clientOrderId: 'CO-1',
      stage: 'risk',
      reasonCode: 'LEVERAGE_EXCEEDS_MAXIMUM',
      reason: 'rejected',
      settingsVersion: 1,
      checks: [
        { check: 'max leverage', passed: false, code: 'LEVERAGE_EXCEEDS_MAXIMUM', observed: '4x', limit: '3x' },
        { check: 'gross exposure', passed: false, code: 'GROSS_EXPOSURE_EXCEEDS_CAP', observed: '400 %', limit: '300 %' },
        { check: 'notional', passed: true, code: 'PASSED', observed: '1', limit: '2' },
      ],
    },
  });
  assert.deepEqual(
    [...new Set(rejected.map(c => `${c.kind} ${c.code} ${c.by}`))].sort(),
    ['rejection code GROSS_EXPOSURE_EXCEEDS_CAP OrderRejected', 'rejection code LEVERAGE_EXCEEDS_MAXIMUM OrderRejected'],
  );
  // At the broker stage the reason code is the venue's own: it is no code of the domain's.
  assert.deepEqual(codesCarriedBy({ type: 'OrderRejected', payload: { clientOrderId: 'CO-2', stage: 'broker', reasonCode: 'MARKET_CLOSED', reason: 'venue' } }), []);
  const brokerError = codesCarriedBy({
    type: 'BrokerErrorRecorded',
    payload: { broker: 'SIM', operation: 'submit', errorKind: 'Timeout', reasonCode: 'TIMEOUT', reason: 'slow', causeChain: ['Timeout', 'ProtocolError', 'TypeError'], path: [] },
  });
  assert.deepEqual(brokerError.map(c => c.code), ['Timeout', 'Timeout', 'ProtocolError']);
  assert.deepEqual(
    codesCarriedBy({ type: 'BreakerHealthChecked', payload: { trigger: 'reset', passed: false, checks: [{ check: 'broker connectivity', passed: false, code: 'BROKER_UNREACHABLE', detail: '' }] } }),
    [{ kind: 'health check failure', code: 'BROKER_UNREACHABLE', by: 'BreakerHealthChecked' }],
  );
  assert.deepEqual(
    codesCarriedBy({ type: 'BreakerActionTaken', payload: { breaker: 'x', action: 'liquidate', outcome: 'failed', detail: '', code: 'LIQUIDATION_REFUSED', rejectionCode: 'TRADING_HALTED' } }).map(c => `${c.kind} ${c.code}`),
    ['rejection code TRADING_HALTED', 'breaker failure LIQUIDATION_REFUSED'],
  );
  assert.deepEqual(codesCarriedBy({ type: 'MarkPriceUpdated', payload: { symbol: 'BTC-PERP', price: '1' } }), []);
});

test('an error a step was given counts where the domain raised or passed it on, not where the test made it', () => {
  let invalid: unknown;
  try {
    parseDecimal('1,5', 'quantity');
  } catch (error) {
    invalid = error;
  }
  assert.deepEqual(codesOfRaisedError(invalid), [{ kind: 'error kind', code: 'InvalidNumber', by: 'raised error' }]);
  assert.deepEqual(codesOfRaisedError(new TradingError('Timeout', 'made by the test')), []);
  assert.deepEqual(codesOfRaisedError(new Error('an assertion')), []);
  // Passed on by a layer of the domain: the wrapper counts; the test's own cause does not.
  const passedOn = asTradingError(new TradingError('RateLimited', 'made by the test'), 'broker gateway');
  assert.deepEqual(codesOfRaisedError(passedOn), [{ kind: 'error kind', code: 'RateLimited', by: 'raised error' }]);
});

const fixtureReports: WorkerErrorPaths[] = [
  {
    worker: '0',
    scenarios: [
      { scenario: 'TC-IF-010 leverage', codes: [{ kind: 'rejection code', code: 'LEVERAGE_EXCEEDS_MAXIMUM', by: 'OrderRejected' }] },
      { scenario: 'TC-BE-005 timeout', codes: [{ kind: 'error kind', code: 'Timeout', by: 'BrokerErrorRecorded' }] },
      { scenario: 'TC-IF-001 happy path', codes: [] },
    ],
  },
  {
    worker: '1',
    scenarios: [
      {
        scenario: 'TC-BE-004 maintenance',
        codes: [
          { kind: 'error kind', code: 'Timeout', by: 'BrokerRequestRetried' },
          { kind: 'error kind', code: 'Timeout', by: 'BrokerRequestRetried' },
          { kind: 'error kind', code: 'NoSuchKind', by: 'BrokerErrorRecorded' },
        ],
      },
    ],
  },
];

test('the merge lists each code once, with every scenario that produced it, and the rest as gaps', () => {
  const table = mergeErrorPaths(fixtureReports);
  assert.equal(table.total, ERROR_PATH_CATALOGUE.length);
  assert.equal(table.produced, 2);
  assert.equal(table.percent, Math.round((2 / ERROR_PATH_CATALOGUE.length) * 1000) / 10);
  const timeout = table.codes.find(row => row.code === 'Timeout');
  assert.deepEqual(timeout, {
    code: 'Timeout',
    kind: 'error kind',
    meaning: ERROR_PATH_CATALOGUE.find(e => e.code === 'Timeout')?.meaning,
    scenarios: ['TC-BE-004 maintenance', 'TC-BE-005 timeout'],
    carriedBy: ['BrokerErrorRecorded', 'BrokerRequestRetried'],
  });
  assert.deepEqual(table.codes.find(row => row.code === 'Overfill')?.scenarios, []);
  assert.deepEqual(table.byKind['rejection code'], { produced: 1, total: ERROR_PATH_CATALOGUE.filter(e => e.kind === 'rejection code').length });
  assert.deepEqual(table.unlisted, [{ kind: 'error kind', code: 'NoSuchKind' }]);
  const lines = describeTable(table);
  assert.match(lines[0], /^error paths: 2 of \d+ codes produced by a scenario/);
  assert.ok(lines.some(line => line.includes('error kind Overfill')), 'a gap is printed');
  assert.ok(!lines.some(line => line.startsWith('  error kind Timeout')), 'a produced code is not a gap');
  assert.ok(lines.some(line => line.includes('NoSuchKind') && line.startsWith('warning')));
});

test('a collector\'s worker file is whole after every scenario and merges as written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'error-paths-'));
  try {
    const collector = new ErrorPathCollector(join(dir, 'worker-7.json'), '7');
    collector.record('TC-IF-010 leverage', [{ kind: 'rejection code', code: 'LEVERAGE_EXCEEDS_MAXIMUM', by: 'OrderRejected' }]);
    collector.write();
    collector.record('TC-IF-010 leverage', [{ kind: 'rejection code', code: 'LEVERAGE_EXCEEDS_MAXIMUM', by: 'OrderRejected' }]);
    collector.record('TC-IF-001 happy path', []);
    collector.write();
    assert.deepEqual(readdirSync(dir), ['worker-7.json']);
    const [report] = readWorkerReports(dir);
    assert.deepEqual(report, {
      worker: '7',
      scenarios: [
        { scenario: 'TC-IF-010 leverage', codes: [{ kind: 'rejection code', code: 'LEVERAGE_EXCEEDS_MAXIMUM', by: 'OrderRejected' }] },
        { scenario: 'TC-IF-001 happy path', codes: [] },
      ],
    });
    assert.equal(mergeErrorPaths([report]).produced, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
