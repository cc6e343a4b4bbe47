import { ZERO } from '../shared';
import { Order } from '../model';
import { BrokerFill, BrokerOrderView } from '../execution';

/**
 * A fill the broker's history does not show, inferred from the broker's order totals (REFERENCE.md):
 * the quantity the broker counts beyond the log's, at the price that takes the log's average to the
 * broker's, under a trade id that is the same however often it is inferred. Null when the broker
 * counts no more filled than the log does.
 */
export function inferFill(order: Order, view: BrokerOrderView, at: Date): BrokerFill | null {
  if (!view.filledQuantity.gt(order.filledQuantity)) return null;
  const quantity = view.filledQuantity.minus(order.filledQuantity);
  const price = view.averageFillPrice.times(view.filledQuantity).minus(order.averageFillPrice.times(order.filledQuantity)).div(quantity);
  return {
    type: 'fill',
    clientOrderId: order.clientOrderId,
    brokerOrderId: view.brokerOrderId,
    tradeId: `inferred-${order.clientOrderId}-${view.filledQuantity.toString()}`,
    symbol: order.symbol,
    side: order.side,
    quantity,
    price,
    fee: ZERO,
    liquidity: 'taker',
    at: at.toISOString(),
  };
}
