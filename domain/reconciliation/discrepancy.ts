/**
 * What a reconciliation run finds: one row a difference between the system's books and the
 * broker's, with the policy applied and what became of it. Figures are decimal strings, as the
 * log keeps them.
 */

/** The parts of the books a run compares, in the order it compares them (orders, then fills, then positions: REFERENCE.md). */
export const RECONCILIATION_PARTS = ['orders', 'trades', 'positions', 'balances', 'portfolio', 'leverage', 'clock'] as const;
export type ReconciliationPart = (typeof RECONCILIATION_PARTS)[number];

export const DISCREPANCY_CLASSES = [
  /** The broker counts a fill the log lacks (from its history, or its order's totals). */
  'missing fill',
  /** The log holds a fill under a trade id the broker's history does not know. */
  'unknown fill',
  /** A fill both know whose quantity or price differs (a venue's trade correction). */
  'trade mismatch',
  /** A fill in the broker's history for an order the system never had. */
  'fill for unknown order',
  /** An order working here that the broker, asked by its id, does not know. */
  'order unknown at broker',
  /** An order open at the broker that the system does not know. */
  'order unknown here',
  /** The broker closed an order (cancelled, expired, rejected) that is working here. */
  'status mismatch',
  /** The broker's order has another quantity or limit than the system's. */
  'order terms mismatch',
  /** The broker has filled less of an order than the system booked: never corrected silently. */
  'broker filled less',
  /** Position quantities differ by more than the instrument's lot. */
  'quantity mismatch',
  /** Position average prices differ by more than the tolerance (0.01 %). */
  'average price mismatch',
  /** Cash differs by more than the tolerance. */
  'balance drift',
  /** A fee or rounding difference within tolerance: tolerated, and recorded. */
  'within tolerance',
  /** Equity, margin used or unrealized P&L differ (they follow from the rows above). */
  'portfolio mismatch',
  /** The leverage the broker holds for a symbol is not the one the settings say. */
  'leverage mismatch',
  /** The broker's clock is further from ours than the tolerance. */
  'clock offset',
] as const;
export type DiscrepancyClass = (typeof DISCREPANCY_CLASSES)[number];

/** What the system does with a class of discrepancy (a runtime setting per class). */
export const RECONCILIATION_POLICIES = ['adopt', 'infer', 'cancel', 'quarantine', 'retry then resolve', 'escalate', 'tolerate', 'alert', 'report'] as const;
export type ReconciliationPolicy = (typeof RECONCILIATION_POLICIES)[number];

/** The subject a row is about: exactly the fields that name it. */
export interface DiscrepancySubject {
  readonly symbol?: string;
  readonly clientOrderId?: string;
  readonly tradeId?: string;
  readonly currency?: string;
  /** For a portfolio row: equity, margin used, unrealized P&L. */
  readonly figure?: string;
}

/** What a comparison of the two books says about one subject, before and after a policy is applied. */
export interface DiscrepancyFigures {
  readonly class: DiscrepancyClass;
  readonly part: ReconciliationPart;
  readonly subject: DiscrepancySubject;
  /** Our value and the broker's, as a person reads them ("0.8 filled", "open"); "none" where a side has nothing. */
  readonly ours: string;
  readonly broker: string;
  /** broker minus ours, where both are figures. */
  readonly difference: string | null;
  readonly tolerance: string | null;
  /** A difference no policy can decide: it goes to a person with all its evidence. */
  readonly dispute?: boolean;
}

export interface DiscrepancyRecord extends DiscrepancyFigures {
  readonly policy: ReconciliationPolicy;
  /** What became of it: "inferred fill inferred-CO-1-1 applied", "escalated as item R-3", ... */
  readonly resolution: string;
  /** Sequence numbers of the events the resolution recorded. */
  readonly events: readonly number[];
  /** The manual queue item it opened, where it was escalated. */
  readonly itemId?: string;
}

/** The row a run reports: a finding's figures (nothing of what the broker's side holds) and what became of it. */
export function discrepancyRecord(finding: DiscrepancyFigures, policy: ReconciliationPolicy, resolution: string, events: readonly number[], itemId?: string): DiscrepancyRecord {
  return {
    class: finding.class,
    part: finding.part,
    subject: finding.subject,
    ours: finding.ours,
    broker: finding.broker,
    difference: finding.difference,
    tolerance: finding.tolerance,
    policy,
    resolution,
    events,
    ...(itemId ? { itemId } : {}),
    ...(finding.dispute ? { dispute: true } : {}),
  };
}

/** A part of a run: read and compared, or not seen because the broker's answer failed after its retries. */
export interface ReconciliationPartOutcome {
  readonly part: ReconciliationPart;
  readonly status: 'checked' | 'skipped' | 'not offered';
  /** Queries of the broker it took, the failed ones included. */
  readonly attempts: number;
  readonly reason?: string;
  /** What was compared: orders, trades, symbols, currencies. */
  readonly records: number;
}

/** The portfolio both ways: ours from the log, the broker's from its positions and cash at our marks. */
export interface PortfolioFigures {
  readonly equity: string;
  readonly marginUsed: string;
  readonly unrealizedPnl: string;
  readonly cash: string;
}

export interface ReconciliationRunPayload {
  readonly runId: string;
  readonly trigger: string;
  readonly broker: string;
  readonly status: 'complete' | 'incomplete';
  readonly parts: readonly ReconciliationPartOutcome[];
  readonly discrepancies: readonly DiscrepancyRecord[];
  readonly portfolio?: { readonly ours: PortfolioFigures; readonly broker: PortfolioFigures };
  /** The broker's clock minus ours, measured from its answer (absent where the broker does not tell its time). */
  readonly clockOffsetMs?: number;
  /** Records compared in all: orders, trades, positions, balances. */
  readonly records: number;
  readonly startedAt: string;
}

/** A risk officer's decision on a queue item. */
export type ResolutionDecision = 'accept broker' | 'keep ours' | 'adjust';
export const RESOLUTION_DECISIONS: readonly ResolutionDecision[] = ['accept broker', 'keep ours', 'adjust'];

/** What an item of the manual queue holds: the row that opened it and the figures a decision needs. */
export interface EscalatedItem {
  readonly itemId: string;
  readonly runId: string;
  readonly discrepancy: Omit<DiscrepancyRecord, 'events' | 'itemId'>;
  /** Everything a person needs to decide: our fills, the broker's, its order view, as text. */
  readonly evidence: Readonly<Record<string, string>>;
  /** How the books change if the broker's value is accepted: the position and cash as the broker has them (empty where nothing would change). */
  readonly brokerValue: readonly BookChange[];
}

/** A change of the books made by reconciliation: a position set to a quantity and average, a cash amount, or an order closed. */
export type BookChange =
  | { readonly kind: 'position'; readonly symbol: string; readonly netQuantity: string; readonly averageEntryPrice: string }
  /** amount: the cash the books should show (the resolution records the difference). */
  | { readonly kind: 'cash'; readonly currency: string; readonly amount: string };

/**
 * The policies a class may take, its default first. "broker filled less" has one: a person decides
 * (REFERENCE.md: reported, never silently corrected), and so has a dispute.
 */
export const CLASS_POLICIES: Readonly<Record<DiscrepancyClass, readonly ReconciliationPolicy[]>> = {
  'missing fill': ['infer', 'escalate'],
  'unknown fill': ['escalate'],
  'trade mismatch': ['escalate'],
  'fill for unknown order': ['quarantine', 'escalate'],
  'order unknown at broker': ['retry then resolve', 'escalate'],
  'order unknown here': ['adopt', 'cancel', 'escalate'],
  'status mismatch': ['adopt', 'escalate'],
  'order terms mismatch': ['adopt', 'escalate'],
  'broker filled less': ['escalate'],
  'quantity mismatch': ['escalate', 'adopt'],
  'average price mismatch': ['escalate', 'adopt'],
  'balance drift': ['escalate', 'adopt'],
  'within tolerance': ['tolerate', 'escalate'],
  'portfolio mismatch': ['report'],
  'leverage mismatch': ['escalate', 'alert'],
  'clock offset': ['alert'],
};

/** The runtime setting that names a class's policy: reconciliation_policy.missing_fill, ... */
export function policySettingKey(discrepancyClass: DiscrepancyClass): string {
  return `reconciliation_policy.${discrepancyClass.replace(/ /g, '_')}`;
}

export const DEFAULT_POLICY_SETTINGS: Readonly<Record<string, string>> = Object.fromEntries(
  DISCREPANCY_CLASSES.map(c => [policySettingKey(c), CLASS_POLICIES[c][0]]),
);

/** The class a policy setting key names, or undefined. */
export function classOfPolicyKey(key: string): DiscrepancyClass | undefined {
  return DISCREPANCY_CLASSES.find(c => policySettingKey(c) === key);
}
