import { Decimal, describeError } from '../shared';
import { StateProjection } from '../state';
import { BrokerGateway } from '../execution';
import type { PositionReconciler } from '../reconciliation/position-reconciler';

/** The ways a health check fails, by name. */
export type HealthFailure = 'BROKER_UNREACHABLE' | 'MARKET_DATA_STALE' | 'RECONCILIATION_MISMATCH';

/** Each failure in a risk officer's words, one line each, for the report's glossary. */
export const HEALTH_FAILURE_MEANINGS: Readonly<Record<HealthFailure, string>> = {
  BROKER_UNREACHABLE: 'The broker did not answer, so trading stays stopped and nothing else can be checked against its books.',
  MARKET_DATA_STALE: 'The mark price of a symbol held (or, holding nothing, the newest mark) is older than the staleness limit, or there is none.',
  RECONCILIATION_MISMATCH: "Positions or open orders here do not agree with the broker's, or could not be compared.",
};

export interface HealthCheckRow {
  readonly check: 'broker connectivity' | 'market data freshness' | 'reconciliation';
  readonly passed: boolean;
  /** PASSED, or the failure's name. */
  readonly code: 'PASSED' | HealthFailure;
  readonly detail: string;
}

export interface HealthCheckPorts {
  readonly broker: BrokerGateway;
  readonly state: StateProjection;
  readonly reconciler: PositionReconciler;
  readonly now: Date;
  /** Recorded with each position reconciliation the check runs. */
  readonly trigger: string;
  /** Told of every broker error the check meets, so it is on record like any other. */
  readonly onBrokerError: (error: unknown, operation: string) => void;
}

/**
 * Before trading resumes: the broker answers, the mark of every symbol held (or, holding nothing, of
 * every symbol marked) is fresher than the staleness limit, and positions and open orders agree with
 * the broker's.
 */
export async function runHealthCheck(ports: HealthCheckPorts): Promise<HealthCheckRow[]> {
  const { broker, state } = ports;
  const rows: HealthCheckRow[] = [];
  let brokerOpen: string[] | null = null;
  try {
    brokerOpen = (await broker.openOrders()).map(o => o.clientOrderId);
    rows.push({ check: 'broker connectivity', passed: true, code: 'PASSED', detail: `broker ${broker.name} answered` });
  } catch (error) {
    ports.onBrokerError(error, 'open-orders');
    rows.push({ check: 'broker connectivity', passed: false, code: 'BROKER_UNREACHABLE', detail: `broker ${broker.name}: ${describeError(error).message}` });
  }

  const limitSeconds = state.settings.limits.markStalenessSeconds;
  const held = state.openPositions().map(p => p.symbol);
  // Holding nothing, it is enough that prices flow: the most recently marked symbol must be fresh.
  const newest = [...state.markTimes.entries()].sort(([, a], [, b]) => b.localeCompare(a))[0]?.[0];
  const symbols = held.length > 0 ? held : newest ? [newest] : [];
  const ages = symbols.map(symbol => {
    const at = state.markTimes.get(symbol);
    return { symbol, age: at === undefined ? null : new Decimal(Math.max(0, ports.now.getTime() - Date.parse(at))).div(1000) };
  });
  const stale = ages.filter(a => a.age === null || a.age.gt(limitSeconds));
  const shown = ages.map(a => `${a.symbol} ${a.age === null ? 'never marked' : `${a.age.toString()} s`}`).join(', ');
  rows.push(
    stale.length === 0 && symbols.length > 0
      ? { check: 'market data freshness', passed: true, code: 'PASSED', detail: `${shown} (limit ${limitSeconds} s)` }
      : { check: 'market data freshness', passed: false, code: 'MARKET_DATA_STALE', detail: symbols.length === 0 ? 'no mark price at all' : `${shown} (limit ${limitSeconds} s)` },
  );

  if (brokerOpen === null) {
    rows.push({ check: 'reconciliation', passed: false, code: 'RECONCILIATION_MISMATCH', detail: 'not possible: the broker did not answer' });
    return rows;
  }
  const problems: string[] = [];
  let brokerHeld: string[] | null = null;
  try {
    brokerHeld = (await broker.positions()).filter(p => !p.netQuantity.isZero()).map(p => p.symbol);
  } catch (error) {
    ports.onBrokerError(error, 'positions');
    problems.push(`positions could not be read: ${describeError(error).message}`);
  }
  if (brokerHeld !== null) {
    try {
      for (const symbol of [...new Set([...held, ...brokerHeld])].sort()) {
        // The reconciler records the broker errors it meets itself.
        const event = await ports.reconciler.reconcile(symbol, ports.trigger);
        if (event.type === 'PositionReconciled' && event.payload.status !== 'matched') {
          problems.push(`${symbol} ${event.payload.localQuantity} here, ${event.payload.brokerQuantity} at the broker`);
        }
      }
    } catch (error) {
      problems.push(`positions could not be compared: ${describeError(error).message}`);
    }
  }
  const local = new Set(state.workingOrders().map(o => o.clientOrderId));
  const unknownHere = brokerOpen.filter(id => !local.has(id));
  const unknownThere = [...local].filter(id => !brokerOpen!.includes(id));
  if (unknownHere.length > 0) problems.push(`open at the broker only: ${unknownHere.join(', ')}`);
  if (unknownThere.length > 0) problems.push(`working here only: ${unknownThere.join(', ')}`);
  rows.push(
    problems.length === 0
      ? { check: 'reconciliation', passed: true, code: 'PASSED', detail: `positions and ${local.size} working orders agree with the broker` }
      : { check: 'reconciliation', passed: false, code: 'RECONCILIATION_MISMATCH', detail: problems.join('; ') },
  );
  return rows;
}
