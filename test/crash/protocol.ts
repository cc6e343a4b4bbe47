/**
 * What the crash-consistency test and its two child processes (the broker, the trading system)
 * say to each other over IPC, and the account and market they share. Amounts are decimal strings.
 */

export const SYMBOL = 'BTC-PERP';
export const BROKER_NAME = 'SIM';
export const DEPOSIT = '1000000';
export const MARK = '50000';
export const CREDENTIAL = { key: 'crash-test-key-0001', secret: 'crash-test-secret-7Hq2' } as const;
/** Short, so an order lost in flight is given up within a second and 30 crashes fit in the test's budget. */
export const RECEIVE_WINDOW_MS = 800;
export const CLOCK_TOLERANCE_MS = 100;
/** The longest an order request is held on its way: well inside the receive window, so a held request is still taken. */
export const MAX_NETWORK_DELAY_MS = 450;

/** Liquidity from other participants: thin first levels, so fills walk the book and averages are not round. */
export const ASKS: readonly { price: string; quantity: string }[] = [
  { price: '50000', quantity: '0.05' },
  { price: '50005', quantity: '0.1' },
  { price: '50020', quantity: '0.2' },
  { price: '50050', quantity: '100' },
];
export const BIDS: readonly { price: string; quantity: string }[] = [
  { price: '49995', quantity: '0.05' },
  { price: '49990', quantity: '0.1' },
  { price: '49975', quantity: '0.2' },
  { price: '49950', quantity: '100' },
];
/** Limit orders rest here, away from the book, until the test trades against them. */
export const RESTING_BUY_PRICE = '49000';
export const RESTING_SELL_PRICE = '51000';

export interface PlannedOrder {
  readonly clientOrderId: string;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit';
  readonly quantity: string;
  readonly limitPrice?: string;
}

export interface PositionFigures {
  readonly symbol: string;
  readonly netQuantity: string;
  readonly averageEntryPrice: string;
}

// ---- the broker process ----

export interface BrokerOrderFigures {
  readonly clientOrderId: string;
  readonly brokerOrderId: string;
  readonly status: string;
  readonly filledQuantity: string;
}

export interface BrokerBooks {
  readonly orders: readonly BrokerOrderFigures[];
  /** Orders the broker created per client order id (its acknowledgements). */
  readonly ordersCreated: Readonly<Record<string, number>>;
  /** Every order request that reached the broker, in order, with when it was carried out (epoch ms). */
  readonly placeRequests: readonly { readonly clientOrderId: string; readonly atMs: number }[];
  readonly positions: readonly PositionFigures[];
  readonly cash: string;
  /** The fill history's trade ids, in the order the broker booked them. */
  readonly tradeIds: readonly string[];
}

export type BrokerCommand =
  | { readonly id: number; readonly type: 'books' }
  /**
   * Hold the first order request under each of these client order ids this many ms on its way to the
   * broker (requests), or stall the way back this many ms once it is delivered (answers). Replaces
   * the holds given before.
   */
  | { readonly id: number; readonly type: 'delay'; readonly requests: Readonly<Record<string, number>>; readonly answers: Readonly<Record<string, number>> }
  /** Another participant trades against one of the resting orders (pick in [0, 1) chooses which), all of it or half. */
  | { readonly id: number; readonly type: 'trade-resting'; readonly pick: number; readonly whole: boolean };

export type BrokerMessage =
  | { readonly type: 'listening'; readonly url: string }
  /** The network holds an order request on its way: it left the trading system (told as it happens, unasked). */
  | { readonly type: 'request-held'; readonly clientOrderId: string }
  /** The broker created an order (told as it happens, unasked). */
  | { readonly type: 'order-created'; readonly clientOrderId: string }
  | { readonly type: 'books'; readonly id: number; readonly books: BrokerBooks }
  | { readonly type: 'done'; readonly id: number; readonly traded?: { readonly clientOrderId: string; readonly quantity: string } }
  | { readonly type: 'failed'; readonly id?: number; readonly error: string };

// ---- the trading system process ----

export type SettleMode = 'wait-for-window' | 'resolve-now';

export interface TraderConfig {
  readonly incarnation: number;
  readonly eventStorePath: string;
  readonly brokerUrl: string;
  readonly seed: number;
  /** How orders left in flight by the previous process are settled: once they can no longer arrive, or by asking (and resending) at once. */
  readonly settle: SettleMode;
}

export interface TraderOrderFigures {
  readonly clientOrderId: string;
  readonly status: string;
  readonly brokerOrderId?: string;
  readonly filledQuantity: string;
}

export interface TraderState {
  readonly orders: readonly TraderOrderFigures[];
  readonly positions: readonly PositionFigures[];
  readonly cash: string;
  /** The trade ids of the fills in the log, in the order it applied them. */
  readonly tradeIds: readonly string[];
  readonly lastSeq: number;
}

export type TraderMessage =
  /** An event on disk: told only after the append returned (synchronous FULL), so a told event is a committed one. */
  | { readonly type: 'event'; readonly seq: number; readonly hash: string; readonly eventType: string; readonly clientOrderId?: string }
  | {
      readonly type: 'recovered';
      readonly eventsReplayed: number;
      /** The last event read back from the log at open. */
      readonly head: { readonly seq: number; readonly hash: string } | null;
      /** Orders the log had sent but never heard back on when this process opened it. */
      readonly inFlightAtOpen: readonly string[];
      readonly recoveryStartedAtMs: number;
      readonly recoveredAtMs: number;
      readonly state: TraderState;
      /** How the open brought the state to the log's head: from a snapshot and its tail, or by a full replay. */
      readonly openedFrom: 'snapshot' | 'full replay';
      /** Where the state opened differed from a full replay of the log read at the same moment (none: equal, field for field). */
      readonly openedDiffersFromFullReplay: readonly string[];
    }
  /** logCheck: what the check of the whole chain said (after a snapshot, the worker's check of the part before it). */
  | { readonly type: 'settled'; readonly state: TraderState; readonly resolutions: number; readonly logCheck: string }
  | { readonly type: 'loop-done' }
  | { readonly type: 'failed'; readonly error: string };

export type TraderCommand = { readonly type: 'go'; readonly plan: readonly PlannedOrder[] } | { readonly type: 'stop' };
