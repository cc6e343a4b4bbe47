import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TradingError } from '../domain/shared';
import { RuntimeSettings, correlationKey } from '../domain/state';

const refused = (changes: Record<string, string>, reason: RegExp) =>
  assert.throws(() => new RuntimeSettings().prepare(changes), (e: unknown) => e instanceof TradingError && e.kind === 'InvalidSettings' && reason.test(e.message));

test('bad settings are refused with the reason', () => {
  refused({ max_leverage: '-1' }, /must not be negative/);
  refused({ max_leverage: '0' }, /greater than zero/);
  refused({ max_leverage: 'NaN' }, /not a decimal number/);
  refused({ max_levrage: '3' }, /unknown setting/);
  refused({ trading_state: 'PAUSED' }, /must be one of/);
  refused({ 'correlation.BTC-PERP/ETH-PERP': '1.5' }, /between -1 and 1/);
  refused({}, /must change something/);
  refused({ broker_receive_window_ms: '0' }, /whole number of milliseconds above zero/);
  refused({ broker_receive_window_ms: '1500.5' }, /whole number of milliseconds above zero/);
  assert.deepEqual(new RuntimeSettings().prepare({ broker_receive_window_ms: '5000' }), { broker_receive_window_ms: '5000' });
});

test('a refused change applies nothing, not even its valid part', () => {
  const settings = new RuntimeSettings();
  assert.throws(() => settings.prepare({ max_leverage: '2', max_order_notional: '-5' }));
  assert.equal(settings.limits.maxLeverage.toString(), '5');
  assert.equal(settings.version, 0);
});

test('correlation keys do not depend on the order of the symbols', () => {
  assert.equal(correlationKey('ETH-PERP', 'BTC-PERP'), correlationKey('BTC-PERP', 'ETH-PERP'));
  const canonical = new RuntimeSettings().prepare({ 'correlation.ETH-PERP/BTC-PERP': '0.8' });
  assert.deepEqual(canonical, { 'correlation.BTC-PERP/ETH-PERP': '0.8' });
});

test('a setting is read as written: no thousands separators, padding or exponents, and nothing changes', () => {
  const settings = new RuntimeSettings();
  for (const [key, value] of [
    ['max_order_notional', '1,000'],
    ['max_order_notional', '100,000'],
    ['max_leverage', ' 5'],
    ['max_leverage', '5 '],
    ['max_leverage', '1e1'],
    ['max_leverage', '+5'],
    ['max_leverage', '05'],
    ['max_leverage', '.5'],
    ['correlation.BTC-PERP/ETH-PERP', '0,8'],
  ] as const) {
    assert.throws(
      () => settings.prepare({ [key]: value }),
      (e: unknown) => e instanceof TradingError && e.kind === 'InvalidSettings' && e.message.includes(key) && e.message.includes(JSON.stringify(value)),
      `${key}=${JSON.stringify(value)}`,
    );
  }
  assert.equal(settings.version, 0);
  assert.equal(settings.limits.maxOrderNotional.toString(), '100000');
  assert.equal(settings.limits.maxLeverage.toString(), '5');
});

test("the broker clock's tolerated lag is a whole number of milliseconds, zero allowed", () => {
  assert.equal(new RuntimeSettings().prepare({ broker_clock_tolerance_ms: '0' }).broker_clock_tolerance_ms, '0');
  refused({ broker_clock_tolerance_ms: '-1' }, /must not be negative/);
  refused({ broker_clock_tolerance_ms: '0.5' }, /whole number of milliseconds/);
  refused({ broker_clock_tolerance_ms: '1,000' }, /broker_clock_tolerance_ms/);
});
