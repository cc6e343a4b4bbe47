import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainEvent, StoredEvent } from '../domain/state';
import { LogLevel, Logger, logRecordedEvent } from '../domain/telemetry';

interface Line {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

function recordingLogger(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  return { lines, logger: { log: (level, message, fields = {}) => lines.push({ level, message, fields }) } };
}

let seq = 0;
function stored(event: DomainEvent): StoredEvent {
  seq += 1;
  return { ...event, seq, at: '2024-03-04T15:00:00.000Z', prevHash: 'p', hash: 'h' } as StoredEvent;
}

function levelOf(event: DomainEvent): LogLevel | undefined {
  const { logger, lines } = recordingLogger();
  logRecordedEvent(logger, stored(event));
  assert.ok(lines.length <= 1, 'one event is at most one line');
  if (lines[0]) assert.equal(lines[0].message, event.type);
  return lines[0]?.level;
}

const source = 'venue-feed';

test('a market feed that is lost or given up on warns; a connection made is routine', () => {
  assert.equal(levelOf({ type: 'MarketDataConnectionChanged', payload: { source, state: 'connected', reason: 'connected', attempt: 1 } }), 'info');
  assert.equal(levelOf({ type: 'MarketDataConnectionChanged', payload: { source, state: 'lost', reason: 'socket closed' } }), 'warn');
  assert.equal(levelOf({ type: 'MarketDataConnectionChanged', payload: { source, state: 'gave_up', reason: 'refused', attempt: 5 } }), 'warn');
});

test('a halt or a pause warns and a reopening is info, for one symbol and for the whole market', () => {
  assert.equal(levelOf({ type: 'MarketStatusChanged', payload: { symbol: 'AAPL', status: 'halted', reason: 'NEWS_PENDING' } }), 'warn');
  assert.equal(levelOf({ type: 'MarketStatusChanged', payload: { symbol: 'AAPL', status: 'paused', reason: 'LULD_PAUSE' } }), 'warn');
  assert.equal(levelOf({ type: 'MarketStatusChanged', payload: { symbol: 'AAPL', status: 'open', reason: 'REOPENED', reopeningPrice: '181.20' } }), 'info');
  const breaker: DomainEvent = {
    type: 'MarketWideBreakerTriggered',
    payload: { level: 1, decline: '0.071', halts: true, haltEnds: '2024-03-04T15:15:00.000Z', tradingDay: '2024-03-04', index: 'SPX', indexLevel: '4645', priorClose: '5000' },
  };
  assert.equal(levelOf(breaker), 'warn');
});

test('what leaves the system reading less of the market than it thinks warns; its repair and the day\'s routine are info', () => {
  assert.equal(levelOf({ type: 'MarketDataMessageRejected', payload: { source, reason: 'price "abc" is not a decimal' } }), 'warn');
  assert.equal(levelOf({ type: 'MarketDataGap', payload: { symbol: 'AAPL', expected: 41, received: 44 } }), 'warn');
  assert.equal(levelOf({ type: 'MarketBookResynchronised', payload: { symbol: 'AAPL', seq: 50 } }), 'info');
  assert.equal(levelOf({ type: 'MarketSessionChanged', payload: { calendar: 'us-equity', session: 'regular', tradingDay: '2024-03-04', localTime: '09:30' } }), 'info');
  assert.equal(levelOf({ type: 'ClosePreparationStarted', payload: { tradingDay: '2024-03-04', closesAt: '2024-03-04T21:00:00.000Z', flattened: ['AAPL'], carried: [] } }), 'info');
  assert.equal(levelOf({ type: 'DayOrdersExpired', payload: { tradingDay: '2024-03-04', orders: ['c-1'] } }), 'info');
});

test('routine feed figures are debug, and a mark price is not logged at all', () => {
  assert.equal(levelOf({ type: 'ImpliedVolatilityUpdated', payload: { underlying: 'SPX', value: '0.35' } }), 'debug');
  assert.equal(levelOf({ type: 'PriorCloseRecorded', payload: { symbol: 'SPX', price: '5000', tradingDay: '2024-03-01' } }), 'debug');
  assert.equal(levelOf({ type: 'MarkPriceUpdated', payload: { symbol: 'AAPL', price: '181.20' } }), undefined);
});

test('a line carries the event\'s figures and its sequence number, never the decision rows', () => {
  const { logger, lines } = recordingLogger();
  const event = stored({ type: 'MarketDataGap', payload: { symbol: 'AAPL', expected: 41, received: 44 } });
  logRecordedEvent(logger, event);
  assert.deepEqual(lines, [{ level: 'warn', message: 'MarketDataGap', fields: { seq: event.seq, symbol: 'AAPL', expected: 41, received: 44 } }]);
  const { logger: rejections, lines: rejected } = recordingLogger();
  logRecordedEvent(rejections, stored({ type: 'OrderRejected', payload: { clientOrderId: 'c-2', stage: 'broker', reasonCode: 'REDUCE_ONLY', reason: 'would increase', checks: [] } }));
  assert.equal(rejected[0].level, 'info');
  assert.equal('checks' in rejected[0].fields, false);
});
