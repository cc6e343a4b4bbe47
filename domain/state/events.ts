import { OrderType, Side, Liquidity } from '../model';
import { ErrorKind, ErrorLayer } from '../shared';
import type { RejectionCode } from '../risk';
// Type-only: the log names the codes the breakers use; nothing of the breakers runs here.
import type { BreakerFailure, BreakerAction, BreakerActionOutcome, HealthFailure } from '../breakers';
// Type-only: the market's vocabulary (statuses, halt reasons, sessions) as the log names it.
import type { HaltReason, TradingStatusValue, SessionName, MarketWideLevel, VolatilityRegime } from '../market';
import type { CalendarName, TimeInForce } from '../model';
import { TradingState } from './runtime-settings';
// Type-only: reconciliation's vocabulary (its rows, classes and decisions) as the log names it.
import type { BookChange, DiscrepancyRecord, EscalatedItem, ReconciliationRunPayload, ResolutionDecision } from '../reconciliation/discrepancy';

/**
 * The facts the system records. Money, prices and quantities are decimal strings here, exactly as
 * they are stored, so the log never carries a rounded float.
 */
interface DecisionRowFigures {
  readonly check: string;
  /** As a person reads it: "4.00x", "40,000.00 USD". */
  readonly observed: string;
  readonly limit: string;
  /** The raw figures behind observed and limit, as decimal strings, where the check has figures. */
  readonly observedValue?: string;
  readonly limitValue?: string;
  readonly note?: string;
}

export interface PassedCheckRow extends DecisionRowFigures {
  readonly passed: true;
  readonly code: 'PASSED';
}

export interface FailedCheckRow extends DecisionRowFigures {
  readonly passed: false;
  /** The standard denial code (LEVERAGE_EXCEEDS_MAXIMUM, ...). */
  readonly code: RejectionCode;
}

/** One line of a risk decision: what was checked, what was seen, against which limit. */
export type DecisionRow = PassedCheckRow | FailedCheckRow;

/** The broker's streams the system listens to: the user channel (order reports) is the only one. */
export type BrokerChannel = 'user';

export type RejectionStage = 'input' | 'risk' | 'broker';

/** The market as a risk decision saw it, beside the decision's rows (absent without market data). Figures are decimal strings. */
export interface DecisionMarketSummary {
  readonly session: SessionName;
  /** The venue's local time of the decision ("2026-01-06 09:29:59 EST"); absent in summaries recorded before it was kept. */
  readonly localTime?: string;
  readonly status: TradingStatusValue;
  /** Why trading stopped (null while open). */
  readonly haltReason?: HaltReason | null;
  readonly regime: VolatilityRegime;
  /** What set the regime: the realized or the implied figure (null when calm on both). */
  readonly regimeDriver?: 'realized' | 'implied' | null;
  readonly bestBid?: string | null;
  readonly bestAsk?: string | null;
  /** The LULD band in force ("190 - 210 (5.0 % around 200)"), null where none applies. */
  readonly priceBand?: string | null;
  readonly spreadBps: string | null;
  /** Visible depth on the side the order takes from. */
  readonly depth: string | null;
  readonly impliedVolatility: string | null;
  readonly realizedVolatility: string | null;
}

/** How a market data feed's connection went. */
export type MarketDataConnectionState = 'connected' | 'lost' | 'gave_up';

/** What a circuit breaker saw: the figure, the limit it was held against, and both as a person reads them. */
export interface BreakerReadingPayload {
  readonly breaker: string;
  readonly level: 'normal' | 'warning' | 'critical';
  readonly observed: string;
  readonly limit: string;
  readonly observedText: string;
  readonly limitText: string;
  /** The symbol the figure belongs to, where it belongs to one. */
  readonly subject?: string;
}

export type DomainEvent =
  | { type: 'AccountFunded'; payload: { currency: string; amount: string } }
  | { type: 'TradingDayStarted'; payload: { tradingDay: string; startEquity: string } }
  | { type: 'SettingsChanged'; payload: { version: number; changes: Record<string, string>; actor: string; reason: string } }
  // Circuit breakers (domain/breakers): levels, trips, the actions of a response, health checks, resets, restoration.
  | { type: 'BreakerRegistered'; payload: { breaker: string; measure: string; direction: 'above' | 'below'; warning: string; critical: string; response: Exclude<TradingState, 'ACTIVE'>; actor: string } }
  | { type: 'BreakerLevelChanged'; payload: BreakerReadingPayload & { from: 'normal' | 'warning' | 'critical'; to: 'normal' | 'warning' | 'critical' } }
  | { type: 'BreakerTripped'; payload: BreakerReadingPayload & { response: Exclude<TradingState, 'ACTIVE'>; limitsBefore: Record<string, string> } }
  /** A refused liquidation (LIQUIDATION_REFUSED) names why: the risk check's rejection code, or the kind of error met on the way to the broker. */
  | {
      type: 'BreakerActionTaken';
      payload: {
        breaker: string;
        action: BreakerAction;
        outcome: BreakerActionOutcome;
        detail: string;
        code?: BreakerFailure;
        clientOrderId?: string;
        rejectionCode?: RejectionCode;
        errorKind?: ErrorKind;
      };
    }
  | { type: 'BreakerHealthChecked'; payload: { trigger: string; passed: boolean; checks: { check: string; passed: boolean; code: 'PASSED' | HealthFailure; detail: string }[] } }
  | { type: 'BreakerReset'; payload: { mode: 'automatic' | 'manual'; breakers: string[]; operator: string; role: string; reason: string } }
  | { type: 'BreakerResetRefused'; payload: { breaker: string; operator: string; role: string; reason: string; code: BreakerFailure; detail: string } }
  | { type: 'BreakerLimitsRestored'; payload: { step: number; percent: number; limits: Record<string, string> } }
  | { type: 'MarkPriceUpdated'; payload: { symbol: string; price: string } }
  | { type: 'InputRejected'; payload: { clientOrderId?: string; errorKind: ErrorKind; reason: string; field?: string; input: Record<string, unknown> } }
  | {
      type: 'OrderRequested';
      payload: {
        clientOrderId: string;
        symbol: string;
        side: Side;
        orderType: OrderType;
        quantity: string;
        limitPrice?: string;
        reduceOnly: boolean;
        /** Absent in logs written before orders carried them: the instrument's default (day for equities, gtc otherwise) and no extended hours. */
        timeInForce?: TimeInForce;
        extendedHours?: boolean;
      };
    }
  | { type: 'RiskCheckPassed'; payload: { clientOrderId: string; settingsVersion: number; checks: DecisionRow[]; market?: DecisionMarketSummary } }
  | {
      type: 'OrderRejected';
      /** reasonCode: a pre-trade denial code at the risk stage; at the broker stage, the venue's own code. */
      payload:
        | { clientOrderId: string; stage: 'risk'; reasonCode: RejectionCode; reason: string; settingsVersion: number; checks: DecisionRow[]; market?: DecisionMarketSummary }
        | { clientOrderId: string; stage: Exclude<RejectionStage, 'risk'>; reasonCode: string; reason: string; settingsVersion?: number; checks?: DecisionRow[] };
    }
  /** signedAt: the time the order request is signed with (every attempt of it); absent in logs written before it was recorded. */
  | { type: 'OrderSubmitted'; payload: { clientOrderId: string; broker: string; signedAt?: string } }
  | { type: 'OrderAcknowledged'; payload: { clientOrderId: string; brokerOrderId: string } }
  | {
      type: 'OrderFilled';
      /** fromHistory: read from the broker's fill history by a synchronisation, which reconciles the position once it has read it all. */
      payload: { clientOrderId: string; tradeId: string; quantity: string; price: string; fee: string; liquidity: Liquidity; inferred?: boolean; fromHistory?: boolean; brokerTime?: string };
    }
  | { type: 'FillRejected'; payload: { clientOrderId: string; tradeId: string; errorKind: ErrorKind; reason: string } }
  | { type: 'OrderCancelRequested'; payload: { clientOrderId: string; reason: string } }
  | { type: 'OrderCancelRefused'; payload: { clientOrderId: string; errorKind: ErrorKind; reason: string } }
  | { type: 'OrderCancelled'; payload: { clientOrderId: string; reason: string } }
  | { type: 'OrderReplaceRequested'; payload: { clientOrderId: string; quantity: string; limitPrice?: string; settingsVersion: number; checks: DecisionRow[] } }
  | { type: 'OrderReplaceRefused'; payload: { clientOrderId: string; stage: RejectionStage; errorKind: ErrorKind; reason: string; checks?: DecisionRow[] } }
  | { type: 'OrderReplaced'; payload: { clientOrderId: string; quantity: string; limitPrice?: string } }
  | { type: 'OrderFailed'; payload: { clientOrderId: string; errorKind: ErrorKind; reason: string; causeChain: string[] } }
  | { type: 'OrderExpired'; payload: { clientOrderId: string; reason: string } }
  | {
      /** A broker error as it crossed the layers: what each layer saw and did, outermost last. */
      type: 'BrokerErrorRecorded';
      payload: {
        broker: string;
        operation: string;
        errorKind: ErrorKind;
        reasonCode?: string;
        httpStatus?: number;
        clientOrderId?: string;
        reason: string;
        causeChain: string[];
        path: { layer: ErrorLayer; saw: string }[];
      };
    }
  | { type: 'BrokerRequestRetried'; payload: { broker: string; operation: string; attempt: number; delayMs: number; errorKind: ErrorKind; clientOrderId?: string } }
  | { type: 'BrokerConnectionChanged'; payload: { broker: string; channel: BrokerChannel; state: 'connected' | 'lost' | 'gave_up'; reason: string; attempt?: number } }
  | { type: 'BrokerMessageRejected'; payload: { broker: string; channel: BrokerChannel; errorKind: ErrorKind; reason: string } }
  /** duplicate: for out_of_order, whether the report is provably one already delivered under that seq (then nothing is resynchronised). */
  | { type: 'BrokerSequenceAnomaly'; payload: { broker: string; anomaly: 'gap' | 'out_of_order' | 'implausible_jump'; expected: number; received: number; duplicate?: boolean } }
  /** The broker's channel named another session (a broker restart): its report numbering started again. */
  | { type: 'BrokerSessionChanged'; payload: { broker: string; channel: BrokerChannel; previousSession: string; session: string; lastSeqBefore: number; welcomeSeq: number } }
  | {
      type: 'StateSynchronised';
      /** fillCursor: where the broker's fill history was read to; the next synchronisation with this broker starts there (absent from older logs). */
      payload: { broker: string; trigger: string; fillsRecovered: number; ordersClosed: number; ordersStillWorking: number; positionsChecked: number; fillCursor?: number };
    }
  | { type: 'BrokerSyncFailed'; payload: { broker: string; trigger: string; errorKind: ErrorKind; reason: string } }
  | { type: 'BrokerHealthChanged'; payload: { broker: string; healthy: boolean; reason: string; consecutiveFailures: number; errorRate: string } }
  | {
      type: 'BalanceReconciled';
      payload: { trigger: string; status: 'matched' | 'mismatched' | 'skipped'; currency: string; localCash: string; brokerCash?: string; reason?: string };
    }
  | { type: 'ReconciliationSkipped'; payload: { symbol: string; trigger: string; errorKind: ErrorKind; reason: string } }
  | { type: 'OrderResubmitted'; payload: { clientOrderId: string; broker: string; reason: string; signedAt?: string } }
  | { type: 'BrokerSwitched'; payload: { from: string; to: string; reason: string } }
  /** changed: the trading state degraded mode set (from -> to) on the way in, or gave back on the way out. */
  | { type: 'DegradedModeChanged'; payload: { active: boolean; tradingState: TradingState; reason: string; changed?: { from: TradingState; to: TradingState } } }
  // Market conditions (domain/market): the feed, the books, trading status, volatility, prior closes, sessions and the close.
  | { type: 'MarketDataConnectionChanged'; payload: { source: string; state: MarketDataConnectionState; reason: string; attempt?: number } }
  | { type: 'MarketDataMessageRejected'; payload: { source: string; reason: string } }
  /** A book's deltas jumped from expected to received: the book is unusable until a snapshot arrives. */
  | { type: 'MarketDataGap'; payload: { symbol: string; expected: number; received: number } }
  | { type: 'MarketBookResynchronised'; payload: { symbol: string; seq: number } }
  /** symbol may be MARKET_WIDE (every US equity). A reopening carries the reopening print. */
  | { type: 'MarketStatusChanged'; payload: { symbol: string; status: TradingStatusValue; reason: HaltReason | 'REOPENED'; reopeningPrice?: string } }
  | { type: 'ImpliedVolatilityUpdated'; payload: { underlying: string; value: string } }
  | { type: 'PriorCloseRecorded'; payload: { symbol: string; price: string; tradingDay: string } }
  /** haltEnds: an ISO instant, 'end of day' (level 3), or null when the level does not halt (at or after 15:25 ET). */
  | {
      type: 'MarketWideBreakerTriggered';
      payload: { level: MarketWideLevel; decline: string; halts: boolean; haltEnds: string | null; tradingDay: string; index: string; indexLevel: string; priorClose: string };
    }
  | { type: 'MarketSessionChanged'; payload: { calendar: CalendarName; session: SessionName; tradingDay: string | null; localTime: string } }
  | { type: 'ClosePreparationStarted'; payload: { tradingDay: string; closesAt: string; flattened: string[]; carried: string[] } }
  | { type: 'DayOrdersExpired'; payload: { tradingDay: string; orders: string[] } }
  // Reconciliation (domain/reconciliation): runs and their rows, the manual queue, adopted orders, adjustments, consistency checks, a rebuilt log.
  | { type: 'ReconciliationCompleted'; payload: ReconciliationRunPayload }
  | { type: 'ReconciliationItemEscalated'; payload: EscalatedItem }
  | { type: 'ReconciliationItemResolved'; payload: { itemId: string; decision: ResolutionDecision; actor: string; role: string; reason: string; changes: BookChange[] } }
  | { type: 'ReconciliationResolutionRefused'; payload: { itemId: string; actor: string; role: string; reason: string; errorKind: ErrorKind; detail: string } }
  /** A change of the books reconciliation made: a position set to the broker's (or a person's) figures, or cash moved by a signed amount. */
  | { type: 'BooksAdjusted'; payload: { source: string; reason: string; itemId?: string; position?: { symbol: string; netQuantity: string; averageEntryPrice: string }; cash?: { currency: string; amount: string } } }
  /** An order open at the broker that the system never sent, taken on as external so its fills count. */
  | { type: 'OrderAdopted'; payload: { clientOrderId: string; brokerOrderId: string; symbol: string; side: Side; orderType: OrderType; quantity: string; limitPrice?: string; owner: 'external'; reason: string } }
  /** A fill in the broker's history for an order the system does not know: kept aside, not applied. */
  | { type: 'TradeQuarantined'; payload: { tradeId: string; clientOrderId: string; symbol: string; side: Side; quantity: string; price: string; reason: string } }
  | { type: 'ConsistencyChecked'; payload: { trigger: string; passed: boolean; checks: { check: string; passed: boolean; detail: string }[] } }
  /** The first event of a log rebuilt from the broker's books after the old one failed its check; the old file is kept where it says. */
  | { type: 'EventLogRebuilt'; payload: { quarantinedPath: string; quarantinedSha256: string; brokenAt: number; problem: string; broker: string; readableEvents: number; discrepancies: DiscrepancyRecord[] } }
  | {
      type: 'PositionReconciled';
      payload: {
        symbol: string;
        trigger: string;
        status: 'matched' | 'mismatched';
        localQuantity: string;
        brokerQuantity: string;
        localAverage: string;
        brokerAverage: string;
      };
    };

export type EventType = DomainEvent['type'];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

export type StoredEvent = DomainEvent & {
  readonly seq: number;
  readonly at: string;
  readonly prevHash: string;
  readonly hash: string;
};
