import { DomainEvent, StoredEvent, TradingLedger } from '../domain/state';
import type { OrderStatus } from '../domain/model';
import { MARKET_WIDE } from '../domain/market';

/** What a rich log leaves each order in, by client order id: every status an order can rest in. */
export const RESTING_STATUSES: Readonly<Record<string, OrderStatus>> = {
  'R-pending-risk': 'pending_risk',
  'R-rejected': 'rejected',
  'R-submitted': 'submitted',
  'R-acked': 'acknowledged',
  'R-partial': 'partially_filled',
  'R-filled': 'filled',
  'R-pending-cancel': 'pending_cancel',
  'R-cancelled': 'cancelled',
  'R-pending-replace': 'pending_replace',
  'R-replaced': 'partially_filled',
  'R-failed': 'failed',
  'R-expired': 'expired',
  'R-adopted': 'acknowledged',
};

const limit = (clientOrderId: string, side: 'buy' | 'sell', quantity: string, price: string): DomainEvent => ({
  type: 'OrderRequested',
  payload: { clientOrderId, symbol: 'ETH-PERP', side, orderType: 'limit', quantity, limitPrice: price, reduceOnly: false },
});
const passed = (clientOrderId: string): DomainEvent => ({ type: 'RiskCheckPassed', payload: { clientOrderId, settingsVersion: 1, checks: [] } });
const submitted = (clientOrderId: string): DomainEvent => ({ type: 'OrderSubmitted', payload: { clientOrderId, broker: 'SIM', signedAt: '2026-01-05T14:30:00.000Z' } });
const acked = (clientOrderId: string): DomainEvent => ({ type: 'OrderAcknowledged', payload: { clientOrderId, brokerOrderId: `B-${clientOrderId}` } });
const fill = (clientOrderId: string, tradeId: string, quantity: string, price: string): DomainEvent => ({
  type: 'OrderFilled',
  payload: { clientOrderId, tradeId, quantity, price, fee: '0.25', liquidity: 'maker' },
});
const working = (id: string, side: 'buy' | 'sell', quantity: string, price: string): DomainEvent[] => [limit(id, side, quantity, price), passed(id), submitted(id), acked(id)];

const escalated = (itemId: string, clientOrderId: string): DomainEvent =>
  ({
    type: 'ReconciliationItemEscalated',
    payload: {
      itemId,
      runId: 'RUN-1',
      discrepancy: { class: 'trade mismatch', part: 'trades', subject: { clientOrderId, symbol: 'ETH-PERP' }, ours: '0.5 filled', broker: '0.6 filled', difference: '0.1', tolerance: null, policy: 'escalate', resolution: `escalated as item ${itemId}` },
      evidence: { ours: '0.5', broker: '0.6' },
      brokerValue: [{ kind: 'position', symbol: 'ETH-PERP', netQuantity: '0.6', averageEntryPrice: '3000' }],
    },
  }) satisfies DomainEvent;

const reading = { observed: '0.045', limit: '0.05', observedText: '4.50 %', limitText: '5.00 %' };

/**
 * The first half of a rich log: money in, a day started, settings changed, orders taken to most of
 * their states, fills and a partial fill, a breaker registered and tripped, a reconciliation item
 * open, market statuses, volatility, sessions, routing and degraded mode. Orders left mid-way (a
 * cancel or a replace pending, the trip's deferred cancel) are finished by the second half.
 */
export const RICH_LOG_FIRST_HALF: readonly DomainEvent[] = [
  { type: 'AccountFunded', payload: { currency: 'USD', amount: '100000' } },
  { type: 'TradingDayStarted', payload: { tradingDay: '2026-01-05', startEquity: '100000' } },
  { type: 'SettingsChanged', payload: { version: 1, changes: { max_leverage: '3' }, actor: 'risk officer', reason: 'overnight' } },
  { type: 'MarkPriceUpdated', payload: { symbol: 'ETH-PERP', price: '3000' } },
  { type: 'MarkPriceUpdated', payload: { symbol: 'BTC-PERP', price: '50000' } },
  limit('R-pending-risk', 'buy', '0.1', '2900'),
  limit('R-rejected', 'buy', '0.1', '2900'),
  { type: 'OrderRejected', payload: { clientOrderId: 'R-rejected', stage: 'risk', reasonCode: 'LEVERAGE_EXCEEDS_MAXIMUM', reason: 'max leverage', settingsVersion: 1, checks: [] } },
  limit('R-submitted', 'buy', '0.1', '2900'),
  passed('R-submitted'),
  submitted('R-submitted'),
  ...working('R-acked', 'buy', '0.2', '2900'),
  ...working('R-partial', 'buy', '1', '3000'),
  fill('R-partial', 'T-1', '0.4', '3000'),
  ...working('R-filled', 'sell', '0.3', '3010'),
  fill('R-filled', 'T-2', '0.1', '3010'),
  fill('R-filled', 'T-3', '0.2', '3011'),
  ...working('R-pending-cancel', 'buy', '0.5', '2800'),
  { type: 'OrderCancelRequested', payload: { clientOrderId: 'R-pending-cancel', reason: 'trader' } },
  ...working('R-cancelled', 'buy', '0.5', '2800'),
  { type: 'OrderCancelRequested', payload: { clientOrderId: 'R-cancelled', reason: 'trader' } },
  ...working('R-pending-replace', 'buy', '0.5', '2850'),
  { type: 'OrderReplaceRequested', payload: { clientOrderId: 'R-pending-replace', quantity: '0.7', limitPrice: '2860', settingsVersion: 1, checks: [] } },
  ...working('R-replaced', 'buy', '1', '2870'),
  fill('R-replaced', 'T-4', '0.3', '2870'),
  { type: 'OrderReplaceRequested', payload: { clientOrderId: 'R-replaced', quantity: '0.8', limitPrice: '2875', settingsVersion: 1, checks: [] } },
  limit('R-failed', 'buy', '0.1', '2900'),
  passed('R-failed'),
  submitted('R-failed'),
  { type: 'OrderFailed', payload: { clientOrderId: 'R-failed', errorKind: 'BrokerUnavailable', reason: 'no answer', causeChain: ['timeout'] } },
  { type: 'BreakerRegistered', payload: { breaker: 'eth floor', measure: 'mark of ETH-PERP', direction: 'below', warning: '2500', critical: '2000', response: 'HALTED', actor: 'risk officer' } },
  { type: 'BreakerLevelChanged', payload: { breaker: 'daily loss', level: 'warning', ...reading, from: 'normal', to: 'warning' } },
  { type: 'BreakerTripped', payload: { breaker: 'daily loss', level: 'critical', ...reading, observed: '0.051', response: 'HALTED', limitsBefore: { max_leverage: '3' } } },
  { type: 'BreakerActionTaken', payload: { breaker: 'daily loss', action: 'cancel on acknowledgement', outcome: 'done', detail: 'in flight', clientOrderId: 'R-submitted' } },
  { type: 'BreakerActionTaken', payload: { breaker: 'daily loss', action: 'broker kill switch', outcome: 'done', detail: 'pulled' } },
  escalated('R-1', 'R-partial'),
  escalated('R-2', 'R-filled'),
  { type: 'MarketStatusChanged', payload: { symbol: 'AAPL', status: 'paused', reason: 'LULD_PAUSE' } },
  { type: 'ImpliedVolatilityUpdated', payload: { underlying: 'VIX', value: '0.22' } },
  { type: 'PriorCloseRecorded', payload: { symbol: 'SPY', price: '480.5', tradingDay: '2026-01-02' } },
  { type: 'MarketSessionChanged', payload: { calendar: 'us-equity', session: 'regular', tradingDay: '2026-01-05', localTime: '2026-01-05 09:30:00 EST' } },
  { type: 'BrokerHealthChanged', payload: { broker: 'SIM', healthy: false, reason: 'errors', consecutiveFailures: 3, errorRate: '0.6' } },
  { type: 'BrokerSwitched', payload: { from: 'SIM', to: 'SIM-B', reason: 'primary unhealthy' } },
  { type: 'DegradedModeChanged', payload: { active: true, tradingState: 'REDUCE_ONLY', reason: 'no fallback left', changed: { from: 'ACTIVE', to: 'REDUCE_ONLY' } } },
  { type: 'StateSynchronised', payload: { broker: 'SIM-B', trigger: 'switch', fillsRecovered: 0, ordersClosed: 0, ordersStillWorking: 5, positionsChecked: 1, fillCursor: 4 } },
  {
    type: 'ReconciliationCompleted',
    payload: { runId: 'RUN-1', trigger: 'schedule', broker: 'SIM-B', status: 'incomplete', parts: [{ part: 'orders', status: 'checked', attempts: 1, records: 9 }, { part: 'positions', status: 'skipped', attempts: 3, records: 0, reason: 'broker down' }],
      discrepancies: [{ class: 'order unknown at broker', part: 'orders', subject: { clientOrderId: 'R-acked' }, ours: 'acknowledged', broker: 'none', difference: null, tolerance: null, policy: 'escalate', resolution: 'counted', events: [] }], records: 9, startedAt: '2026-01-05T15:00:00.000Z' },
  } satisfies DomainEvent,
  // As the system hands it over: a measured offset of -0 and a part it did not fill in, which the log keeps as 0 and leaves out.
  {
    type: 'ReconciliationCompleted',
    payload: { runId: 'RUN-2', trigger: 'start-up', broker: 'SIM', status: 'complete', parts: [], discrepancies: [], portfolio: undefined, clockOffsetMs: -0, records: 0, startedAt: '2026-01-05T14:31:00.000Z' },
  } satisfies DomainEvent,
];

/** The second half: what the first left mid-way is finished, and more of each kind happens. */
export const RICH_LOG_SECOND_HALF: readonly DomainEvent[] = [
  { type: 'OrderCancelled', payload: { clientOrderId: 'R-cancelled', reason: 'trader' } },
  { type: 'OrderReplaced', payload: { clientOrderId: 'R-replaced', quantity: '0.8', limitPrice: '2875' } },
  ...working('R-expired', 'sell', '0.2', '3100'),
  { type: 'OrderExpired', payload: { clientOrderId: 'R-expired', reason: 'day order at the close' } },
  fill('R-partial', 'T-5', '0.1', '2999.5'),
  { type: 'OrderAdopted', payload: { clientOrderId: 'R-adopted', brokerOrderId: 'B-X', symbol: 'BTC-PERP', side: 'sell', orderType: 'limit', quantity: '0.01', limitPrice: '60000', owner: 'external', reason: 'open at the broker' } },
  { type: 'BreakerActionTaken', payload: { breaker: 'daily loss', action: 'cancel order', outcome: 'done', detail: 'acknowledged, then cancelled', clientOrderId: 'R-submitted' } },
  { type: 'BreakerReset', payload: { mode: 'manual', breakers: ['daily loss'], operator: 'rita', role: 'risk officer', reason: 'loss understood' } },
  { type: 'BreakerLimitsRestored', payload: { step: 1, percent: 50, limits: { max_leverage: '1.5' } } },
  { type: 'SettingsChanged', payload: { version: 2, changes: { max_leverage: '1.5', price_collar_pct: '3' }, actor: 'breaker recovery', reason: 'step 1' } },
  { type: 'ReconciliationItemResolved', payload: { itemId: 'R-1', decision: 'accept broker', actor: 'rita', role: 'risk officer', reason: 'the venue is right', changes: [] } },
  { type: 'BooksAdjusted', payload: { source: 'reconciliation', reason: 'accepted', itemId: 'R-1', cash: { currency: 'USD', amount: '-12.5' } } },
  { type: 'TradeQuarantined', payload: { tradeId: 'T-Q', clientOrderId: 'UNKNOWN', symbol: 'ETH-PERP', side: 'buy', quantity: '0.1', price: '3000', reason: 'unknown order' } },
  { type: 'MarketStatusChanged', payload: { symbol: 'AAPL', status: 'open', reason: 'REOPENED', reopeningPrice: '190.25' } },
  { type: 'MarketStatusChanged', payload: { symbol: MARKET_WIDE, status: 'halted', reason: 'MARKET_WIDE_LEVEL_1' } },
  { type: 'MarketWideBreakerTriggered', payload: { level: 1, decline: '0.07', halts: true, haltEnds: '2026-01-05T16:15:00.000Z', tradingDay: '2026-01-05', index: 'SPX', indexLevel: '4460', priorClose: '4800' } },
  { type: 'ClosePreparationStarted', payload: { tradingDay: '2026-01-05', closesAt: '2026-01-05T21:00:00.000Z', flattened: ['SPY'], carried: ['AAPL'] } },
  { type: 'DayOrdersExpired', payload: { tradingDay: '2026-01-05', orders: ['R-expired'] } },
  { type: 'BrokerHealthChanged', payload: { broker: 'SIM', healthy: true, reason: 'probe passed', consecutiveFailures: 0, errorRate: '0' } },
  { type: 'BrokerHealthChanged', payload: { broker: 'SIM-B', healthy: false, reason: 'timeouts', consecutiveFailures: 5, errorRate: '0.8' } },
  { type: 'MarkPriceUpdated', payload: { symbol: 'ETH-PERP', price: '2990.5' } },
  { type: 'AccountFunded', payload: { currency: 'USD', amount: '250.75' } },
];

/** Record events through the ledger, one at a time, each checked by the projection as the system records it. */
export function record(ledger: TradingLedger, events: readonly DomainEvent[]): StoredEvent[] {
  return events.map(event => ledger.record(event));
}
