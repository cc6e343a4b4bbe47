import { Decimal, InvalidNumberError, parseDecimal, TradingError } from '../shared';
import { InstrumentRegistry, isOnLotGrid, isOnTickGrid, OrderRequest, OrderType, Side, TIMES_IN_FORCE, TimeInForce, defaultTimeInForce } from '../model';

/** An order as it arrives from outside: strings, possibly wrong. */
export interface OrderInput {
  readonly clientOrderId?: string;
  readonly symbol: string;
  readonly side: string;
  readonly type: string;
  readonly quantity: string;
  readonly limitPrice?: string;
  readonly reduceOnly?: boolean;
  /** day (until the regular close) or gtc (until cancelled); absent: day for equities, gtc otherwise. */
  readonly timeInForce?: string;
  /** May trade in the pre-market and after-hours sessions; absent: no. */
  readonly extendedHours?: boolean;
}

const CLIENT_ORDER_ID = /^[A-Za-z0-9_-]{1,36}$/;

function invalid(reason: string, details: Record<string, unknown>): never {
  throw new TradingError('InvalidInput', reason, details);
}

/** field is the input's own name for it (details.field), label the one a trader reads in the reason. */
function number(input: string | undefined, field: 'quantity' | 'limitPrice', label: string): Decimal {
  try {
    return parseDecimal(input, label);
  } catch (error) {
    if (error instanceof InvalidNumberError) invalid(`${label} is not a valid number: got ${JSON.stringify(input)}, ${error.reason}`, { field, input });
    throw error;
  }
}

/**
 * Validate an order at the edge. Every refusal says what was wrong in words a trader understands;
 * nothing here touches state.
 */
export function parseOrderInput(input: OrderInput, clientOrderId: string, instruments: InstrumentRegistry, markPrice: (symbol: string) => Decimal | undefined): OrderRequest {
  if (!CLIENT_ORDER_ID.test(clientOrderId)) invalid(`client order id ${JSON.stringify(clientOrderId)} must be 1-36 letters, digits, - or _`, { field: 'clientOrderId' });
  const instrument = instruments.find(input.symbol);
  if (!instrument) throw new TradingError('UnknownInstrument', `unknown instrument ${String(input.symbol)}`, { field: 'symbol', symbol: input.symbol });
  if (input.side !== 'buy' && input.side !== 'sell') invalid(`side must be buy or sell, not ${JSON.stringify(input.side)}`, { field: 'side' });
  if (input.type !== 'market' && input.type !== 'limit') invalid(`order type must be market or limit, not ${JSON.stringify(input.type)}`, { field: 'type' });
  const quantity = number(input.quantity, 'quantity', 'quantity');
  if (quantity.lte(0)) invalid(`quantity must be greater than zero, not ${quantity}`, { field: 'quantity' });
  if (!isOnLotGrid(instrument, quantity)) invalid(`quantity ${quantity} is not a multiple of the lot size ${instrument.lotSize}`, { field: 'quantity' });
  let limitPrice: Decimal | undefined;
  if (input.type === 'limit') {
    if (input.limitPrice === undefined) invalid('a limit order needs a limit price', { field: 'limitPrice' });
    limitPrice = number(input.limitPrice, 'limitPrice', 'limit price');
    if (limitPrice.lte(0)) invalid(`limit price must be greater than zero, not ${limitPrice}`, { field: 'limitPrice' });
    if (!isOnTickGrid(instrument, limitPrice)) invalid(`limit price ${limitPrice} is off the tick grid of ${instrument.tickSize}`, { field: 'limitPrice' });
  } else if (input.limitPrice !== undefined) {
    invalid('a market order takes no limit price', { field: 'limitPrice' });
  }
  const timeInForce = input.timeInForce ?? defaultTimeInForce(instrument);
  if (!TIMES_IN_FORCE.includes(timeInForce as TimeInForce)) invalid(`time in force must be day or gtc, not ${JSON.stringify(input.timeInForce)}`, { field: 'timeInForce' });
  // The input comes from outside: a flag sent as text ("yes") is refused, not read as true.
  const extendedHours: unknown = input.extendedHours ?? false;
  if (typeof extendedHours !== 'boolean') invalid(`extended hours must be true or false, not ${JSON.stringify(input.extendedHours)}`, { field: 'extendedHours' });
  const reference = limitPrice ?? markPrice(instrument.symbol);
  if (reference && quantity.times(reference).lt(instrument.minNotional)) {
    invalid(`notional ${quantity.times(reference)} is below the minimum of ${instrument.minNotional}`, { field: 'quantity' });
  }
  return {
    clientOrderId,
    symbol: instrument.symbol,
    side: input.side as Side,
    type: input.type as OrderType,
    quantity,
    limitPrice,
    reduceOnly: input.reduceOnly ?? false,
    timeInForce: timeInForce as TimeInForce,
    extendedHours,
  };
}
