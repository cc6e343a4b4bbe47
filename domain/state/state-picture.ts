import { StateProjection } from './projection';

/** A comparable picture of what the system knows: orders, positions, balances and settings. */
export function statePicture(state: StateProjection): Record<string, unknown> {
  const account = state.account();
  return {
    orders: [...state.orders.values()].map(o => ({
      clientOrderId: o.clientOrderId,
      status: o.status,
      quantity: o.quantity.toString(),
      limitPrice: o.limitPrice?.toString(),
      filled: o.filledQuantity.toString(),
      averageFillPrice: o.averageFillPrice.toString(),
      fees: o.fees.toString(),
      brokerOrderId: o.brokerOrderId,
      reason: o.reason,
      pendingReplace: o.pendingReplace ? { quantity: o.pendingReplace.quantity.toString(), limitPrice: o.pendingReplace.limitPrice?.toString() } : undefined,
      signedAt: o.signedAt,
    })),
    positions: [...state.positions.values()].map(p => ({
      symbol: p.symbol,
      netQuantity: p.netQuantity.toString(),
      averageEntryPrice: p.averageEntryPrice.toString(),
      realizedPnl: p.realizedPnl.toString(),
      fees: p.fees.toString(),
    })),
    deposits: state.deposits.toString(),
    cashAdjustments: state.cashAdjustments.toString(),
    reconciliationItems: [...state.reconciliation.openItems.keys()],
    cash: account.cash.toString(),
    equity: account.equity.toString(),
    marks: Object.fromEntries([...state.marks.entries()].map(([k, v]) => [k, v.toString()])),
    settingsVersion: state.settings.version,
    settings: state.settings.snapshot(),
    tradingDay: state.tradingDay,
    startOfDayEquity: state.startOfDayEquity?.toString(),
  };
}
