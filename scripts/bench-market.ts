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
