import { Decimal, ZERO, describeError } from '../shared';
import { StoredEvent, TradingLedger } from '../state';
import { Telemetry } from '../telemetry';
import type { BrokerGateway } from '../execution/broker-gateway';
import type { BrokerErrorLog } from '../execution/broker-error-log';

/** Average prices agree when they differ by at most 0.01 % (REFERENCE.md). */
export const AVERAGE_PRICE_TOLERANCE = new Decimal('0.0001');

export function averagesAgree(local: Decimal, broker: Decimal): boolean {
  if (local.eq(broker)) return true;
  if (broker.isZero()) return local.isZero();
  return local.minus(broker).abs().div(broker.abs()).lte(AVERAGE_PRICE_TOLERANCE);
}

export interface PositionReconcilerPorts {
  readonly ledger: TradingLedger;
  /** The broker to compare with when none is named: the one the system routes to now. */
  readonly broker: () => BrokerGateway;
  readonly telemetry: Telemetry;
  readonly brokerErrors: BrokerErrorLog;
  /** Lets pending reports have their turn before a difference is read again (the next turn of the event loop). */
  readonly settle?: () => Promise<void>;
  /** Reads of the broker's position before a difference is recorded as a mismatch (5). */
  readonly attempts?: number;
}

/**
 * Compares the local position with the broker's after a fill and records the result. Reports can
 * still be on their way when the broker already counts a fill, so a difference is re-read a few
 * times, each after the pending reports had their turn, before it is recorded as a mismatch.
 */
export class PositionReconciler {
  private readonly ledger: TradingLedger;
  private readonly broker: () => BrokerGateway;
  private readonly telemetry: Telemetry;
  private readonly brokerErrors: BrokerErrorLog;
  private readonly settle: () => Promise<void>;
  private readonly attempts: number;

  constructor(ports: PositionReconcilerPorts) {
    this.ledger = ports.ledger;
    this.broker = ports.broker;
    this.telemetry = ports.telemetry;
    this.brokerErrors = ports.brokerErrors;
    this.settle = ports.settle ?? (() => new Promise(resolve => setImmediate(resolve)));
    this.attempts = ports.attempts ?? 5;
  }

  /** Compare one symbol; a failed broker query skips the check (recorded), it never reads as flat. */
  async reconcile(symbol: string, trigger: string, gateway?: BrokerGateway): Promise<StoredEvent> {
    const broker = gateway ?? this.broker();
    let last: { brokerQuantity: Decimal; brokerAverage: Decimal } = { brokerQuantity: ZERO, brokerAverage: ZERO };
    for (let attempt = 1; attempt <= this.attempts; attempt += 1) {
      let brokerPositions;
      try {
        brokerPositions = await broker.positions();
      } catch (error) {
        return this.skip(symbol, trigger, broker.name, error);
      }
      const brokerPosition = brokerPositions.find(p => p.symbol === symbol);
      last = { brokerQuantity: brokerPosition?.netQuantity ?? ZERO, brokerAverage: brokerPosition?.averageEntryPrice ?? ZERO };
      const local = this.ledger.state.position(symbol);
      if (local.netQuantity.eq(last.brokerQuantity) && averagesAgree(local.averageEntryPrice, last.brokerAverage)) {
        return this.record(symbol, trigger, 'matched', last);
      }
      if (attempt < this.attempts) await this.settle();
    }
    return this.record(symbol, trigger, 'mismatched', last);
  }

  private skip(symbol: string, trigger: string, broker: string, error: unknown): StoredEvent {
    const local = this.ledger.state.position(symbol);
    this.telemetry.increment('reconciliation.skipped');
    this.brokerErrors.record(error, {
      broker,
      operation: 'positions',
      saw: { 'position reconciler': `could not read the broker's ${symbol} position; local ${local.netQuantity.toString()} kept, check skipped until the next cycle` },
    });
    const { kind, message } = describeError(error);
    return this.ledger.record({ type: 'ReconciliationSkipped', payload: { symbol, trigger, errorKind: kind, reason: message } });
  }

  /** Staged with the commands of this turn, and on disk before the check resolves. */
  private async record(symbol: string, trigger: string, status: 'matched' | 'mismatched', broker: { brokerQuantity: Decimal; brokerAverage: Decimal }): Promise<StoredEvent> {
    const local = this.ledger.state.position(symbol);
    this.telemetry.increment(`reconciliation.${status}`);
    const event = this.ledger.stage(() => this.ledger.record({
      type: 'PositionReconciled',
      payload: {
        symbol,
        trigger,
        status,
        localQuantity: local.netQuantity.toString(),
        brokerQuantity: broker.brokerQuantity.toString(),
        localAverage: local.averageEntryPrice.toString(),
        brokerAverage: broker.brokerAverage.toString(),
      },
    }));
    await this.ledger.durable();
    return event;
  }
}
