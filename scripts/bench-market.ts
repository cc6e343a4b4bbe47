import { Decimal } from '../domain/shared';
import { TradingSystem } from '../domain/trading-system';
import { BrokerSimulatorCore } from '../support/simulators/broker';

/** The same account at the system and the broker, and one symbol marked with this much depth on both sides. */
export function openMarket(system: TradingSystem, broker: BrokerSimulatorCore, cash: number, symbol: string, mark: Decimal, depth: Decimal): void {
  system.fund(String(cash));
  broker.deposit(new Decimal(cash));
  system.startTradingDay();
  system.updateMark(symbol, mark);
  broker.setMark(symbol, mark);
  broker.setBook(symbol, 'asks', [{ price: mark, quantity: depth }]);
  broker.setBook(symbol, 'bids', [{ price: mark, quantity: depth }]);
}

/**
 * On the real clock a mark goes stale after `mark_staleness_seconds`, as it should: a run that takes
 * longer (a loaded machine) needs the feed to keep ticking. Called between timed orders, never inside one.
 */
export class MarkFeed {
  private lastTick = Date.now();

  constructor(private readonly system: TradingSystem, private readonly symbol: string, private readonly mark: Decimal, private readonly everyMs = 1000) {}

  tick(): void {
    if (Date.now() - this.lastTick < this.everyMs) return;
    this.lastTick = Date.now();
    this.system.updateMark(this.symbol, this.mark);
  }
}
