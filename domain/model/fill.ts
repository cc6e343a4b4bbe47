import { Decimal } from '../shared';
import { Side } from './order';

export type Liquidity = 'maker' | 'taker';

export interface Fill {
  readonly tradeId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly quantity: Decimal;
  readonly price: Decimal;
  readonly fee: Decimal;
  readonly liquidity: Liquidity;
  readonly at: string;
}
