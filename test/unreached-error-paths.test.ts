import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock, Decimal, describeError } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { DEFAULT_SETTINGS, toRiskLimits } from '../domain/state';
import { runPreTradeChecks } from '../domain/risk';
import { BrokerErrorLog } from '../domain/execution/broker-error-log';
import { TradingSystem } from '../domain/trading-system';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';

// Guards no scenario can reach: the layer before them refuses first, or only a defect gets there.

const d = (v: string | number) => new Decimal(v);

function withSystem(run: (system: TradingSystem, logged: { level: string; message: string; fields?: Readonly<Record<string, unknown>> }[]) => void | Promise<void>) {
  return async () => {
    const clock = new VirtualClock();
    const dir = mkdtempSync(join(tmpdir(), 'unreached-'));
    const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
    core.deposit(d(100_000));
    core.setMark('ETH-PERP', d(3_000));
    const logged: { level: string; message: string; fields?: Readonly<Record<string, unknown>> }[] = [];
    const logger = { log: (level: string, message: string, fields?: Readonly<Record<string, unknown>>) => void logged.push({ level, message, fields }) };
    const system = TradingSystem.open({ eventStorePath: join(dir, 'events.sqlite'), broker: new InProcessBrokerGateway(core), clock, logger });
    try {
      system.fund('100000');
      system.updateMark('ETH-PERP', '3000');
      await run(system, logged);
    } finally {
      system.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('INSTRUMENT_NOT_FOUND: a symbol the registry does not list is refused by the tradable instrument check, should it ever get past the input check', () => {
  const rows = runPreTradeChecks({
    order: { symbol: 'DOGE-PERP', side: 'buy', type: 'limit', quantity: d(1), limitPrice: d('0.1'), reduceOnly: false },
    instrument: undefined,
    limits: toRiskLimits(DEFAULT_SETTINGS),
    exposure: { positions: new Map(), working: [], marks: new Map() },
    equity: d(100_000),
    startOfDayEquity: d(100_000),
    currency: 'USD',
    markAgeMs: null,
  });
  const row = rows.find(r => r.check === 'tradable instrument');
  assert.deepEqual(row && { passed: row.passed, code: row.code, observed: row.observed }, { passed: false, code: 'INSTRUMENT_NOT_FOUND', observed: 'DOGE-PERP is not listed' });
});

test(
  'INSTRUMENT_NOT_FOUND is unreachable through the coordinator: the input check refuses an unlisted symbol first, and nothing reaches the risk manager or the broker',
  withSystem(async system => {
    const before = system.events.length;
    const placed = await system.coordinator.place({ symbol: 'DOGE-PERP', side: 'buy', type: 'market', quantity: '1' });
    assert.equal(placed.outcome, 'rejected');
    assert.equal(placed.outcome === 'rejected' && placed.stage, 'input');
    assert.equal(placed.outcome === 'rejected' && placed.error.kind, 'UnknownInstrument');
    assert.deepEqual(system.events.slice(before).map(e => e.type), ['InputRejected']);
  }),
);

test(
  'BREAKER_METRIC_FAILED: a breaker whose figure cannot be worked out reads nothing, is counted and logged, and trips nothing',
  withSystem((system, logged) => {
    system.breakers.register({
      name: 'eth basis',
      measure: 'basis of ETH-PERP (USD)',
      metric: () => {
        throw new TypeError('basis needs an index price');
      },
      warning: '10',
      critical: '20',
      direction: 'above',
      actor: 'risk officer',
    });
    system.updateMark('ETH-PERP', '2900');
    assert.ok(system.telemetry.count('breakers.eth basis.BREAKER_METRIC_FAILED') >= 2, 'counted on each evaluation');
    const failures = logged.filter(l => l.message === 'BREAKER_METRIC_FAILED');
    assert.ok(failures.length >= 2);
    assert.deepEqual(failures[0], { level: 'error', message: 'BREAKER_METRIC_FAILED', fields: { breaker: 'eth basis', reason: 'TypeError: basis needs an index price' } });
    assert.equal(system.breakers.readings().find(r => r.name === 'eth basis')?.reading ?? null, null);
    assert.deepEqual(system.events.filter(e => (e.type === 'BreakerTripped' || e.type === 'BreakerLevelChanged') && e.payload.breaker === 'eth basis').map(e => e.type), []);
    assert.equal(system.state.settings.limits.tradingState, 'ACTIVE');
  }),
);

test('Unexpected: a failure the system has no name for keeps its own name in the message and is recorded as Unexpected, not passed off as a named kind', () => {
  assert.deepEqual(describeError(new RangeError('Invalid array length')), { kind: 'Unexpected', message: 'RangeError: Invalid array length' });
  const recorded: { type: string; payload: Record<string, unknown> }[] = [];
  const counted: string[] = [];
  const log = new BrokerErrorLog({
    ledger: { record: (event: { type: string; payload: Record<string, unknown> }) => (recorded.push(event), event) } as never,
    telemetry: { increment: (name: string) => void counted.push(name) } as never,
  });
  log.record(new RangeError('Invalid array length'), { broker: 'SIM', operation: 'positions', saw: { 'position reconciler': 'check skipped' } });
  assert.deepEqual(counted, ['broker.errors.Unexpected']);
  assert.equal(recorded.length, 1);
  assert.deepEqual(
    { type: recorded[0].type, errorKind: recorded[0].payload.errorKind, causeChain: recorded[0].payload.causeChain, reason: recorded[0].payload.reason },
    { type: 'BrokerErrorRecorded', errorKind: 'Unexpected', causeChain: ['Unexpected'], reason: 'RangeError: Invalid array length' },
  );
});
