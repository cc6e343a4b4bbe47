import { Decimal, ZERO, sum } from '../shared';
import { Position, positionNotional, unrealizedPnl } from './position';
import { Instrument } from './instrument';

export interface AccountSnapshot {
  readonly currency: string;
  /** Deposits plus realized P&L after fees. */
  readonly cash: Decimal;
  readonly unrealizedPnl: Decimal;
  readonly equity: Decimal;
  readonly grossExposure: Decimal;
  readonly netExposure: Decimal;
  readonly marginUsed: Decimal;
  readonly availableMargin: Decimal;
  /** Gross exposure / equity; infinite leverage is reported as null. */
  readonly leverage: Decimal | null;
}

export interface AccountInputs {
  currency: string;
  deposits: Decimal;
  positions: readonly Position[];
  marks: ReadonlyMap<string, Decimal>;
  instruments: (symbol: string) => Instrument;
}

export function markFor(marks: ReadonlyMap<string, Decimal>, position: Position): Decimal {
  return marks.get(position.symbol) ?? position.averageEntryPrice;
}

export function accountSnapshot(inputs: AccountInputs): AccountSnapshot {
  const realized = sum(inputs.positions.map(p => p.realizedPnl));
  const cash = inputs.deposits.plus(realized);
  const unrealized = sum(inputs.positions.map(p => unrealizedPnl(p, markFor(inputs.marks, p))));
  const equity = cash.plus(unrealized);
  const gross = sum(inputs.positions.map(p => positionNotional(p, markFor(inputs.marks, p))));
  const net = sum(inputs.positions.map(p => p.netQuantity.times(markFor(inputs.marks, p))));
  const marginUsed = sum(
    inputs.positions.map(p => positionNotional(p, markFor(inputs.marks, p)).times(inputs.instruments(p.symbol).initialMarginRate)),
  );
  return {
    currency: inputs.currency,
    cash,
    unrealizedPnl: unrealized,
    equity,
    grossExposure: gross,
    netExposure: net,
    marginUsed,
    availableMargin: equity.minus(marginUsed),
    leverage: equity.gt(ZERO) ? gross.div(equity) : null,
  };
}
