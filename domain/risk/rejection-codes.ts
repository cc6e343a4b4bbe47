/** The standard denial codes of the pre-trade checks: one per way an order can fail a check. */
export type RejectionCode =
  | 'INSTRUMENT_NOT_FOUND'
  | 'INSTRUMENT_NOT_TRADABLE'
  | 'MARK_PRICE_UNAVAILABLE'
  | 'MARK_PRICE_STALE'
  | 'TRADING_HALTED'
  | 'TRADING_STATE_REDUCING'
  | 'REDUCE_ONLY_WOULD_INCREASE_POSITION'
  | 'DAILY_LOSS_LIMIT_REACHED'
  | 'QUANTITY_EXCEEDS_MAXIMUM'
  | 'NOTIONAL_EXCEEDS_MAX_PER_ORDER'
  | 'PRICE_OUTSIDE_COLLAR'
  | 'POSITION_LIMIT_EXCEEDED'
  | 'LEVERAGE_EXCEEDS_MAXIMUM'
  | 'GROSS_EXPOSURE_EXCEEDS_CAP'
  | 'NET_EXPOSURE_EXCEEDS_CAP'
  | 'CORRELATED_EXPOSURE_EXCEEDS_CAP'
  // Market conditions (plan 4.4).
  | 'MARKET_CLOSED'
  | 'ORDER_TYPE_NOT_ALLOWED_IN_SESSION'
  | 'EXTENDED_HOURS_NOT_REQUESTED'
  | 'SYMBOL_HALTED'
  | 'MARKET_WIDE_HALT'
  | 'LULD_PAUSED'
  | 'MARKET_ORDER_BEFORE_REOPENING_PRINT'
  | 'CLOSE_PREPARATION_NO_NEW_RISK'
  | 'PRICE_OUTSIDE_LULD_BAND'
  | 'NO_LIQUIDITY'
  | 'SPREAD_TOO_WIDE'
  | 'DEPTH_INSUFFICIENT'
  | 'SLIPPAGE_EXCEEDS_GUARD';

/** What each denial code means, in a risk officer's words, for the glossary of a report. */
export const REJECTION_CODE_MEANINGS: Readonly<Record<RejectionCode, string>> = {
  INSTRUMENT_NOT_FOUND: 'The symbol is not a listed instrument.',
  INSTRUMENT_NOT_TRADABLE: 'The instrument is listed but trading in it is disabled.',
  MARK_PRICE_UNAVAILABLE: 'There is no mark price to value the order at.',
  MARK_PRICE_STALE: 'The mark price is older than allowed: too old for an order that adds risk, or twice too old for any order.',
  TRADING_HALTED: 'Trading is halted: no new order passes.',
  TRADING_STATE_REDUCING: 'Trading is reduce-only and the order would increase exposure.',
  REDUCE_ONLY_WOULD_INCREASE_POSITION: 'The order is marked reduce-only but would increase the position.',
  DAILY_LOSS_LIMIT_REACHED: 'Today\'s loss has reached the daily loss limit; only orders that reduce risk pass.',
  QUANTITY_EXCEEDS_MAXIMUM: 'The order is larger than the maximum quantity per order for the instrument.',
  NOTIONAL_EXCEEDS_MAX_PER_ORDER: 'The order\'s notional is above the maximum per order.',
  PRICE_OUTSIDE_COLLAR: 'The limit price is further from the mark price than the price collar allows.',
  POSITION_LIMIT_EXCEEDED: 'The order would take the position in the instrument above its limit.',
  LEVERAGE_EXCEEDS_MAXIMUM: 'The order would take leverage (gross exposure over equity) above the maximum.',
  GROSS_EXPOSURE_EXCEEDS_CAP: 'The order would take gross exposure, as a share of equity, above its cap.',
  NET_EXPOSURE_EXCEEDS_CAP: 'The order would take net exposure, as a share of equity, above its cap.',
  CORRELATED_EXPOSURE_EXCEEDS_CAP: 'The order would take exposure to correlated instruments, as a share of equity, above its cap.',
  MARKET_CLOSED: 'The venue is closed (night, weekend or holiday): no order passes until it opens.',
  ORDER_TYPE_NOT_ALLOWED_IN_SESSION: 'Outside the regular session only limit orders may trade; a market order is refused.',
  EXTENDED_HOURS_NOT_REQUESTED: 'Outside the regular session a limit order trades only if it asks for extended hours.',
  SYMBOL_HALTED: 'The venue has halted trading in the symbol (a regulatory or news halt).',
  MARKET_WIDE_HALT: 'A market-wide circuit breaker has halted trading in every US equity.',
  LULD_PAUSED: 'Trading in the symbol is paused by limit up-limit down after its price stayed at a band.',
  MARKET_ORDER_BEFORE_REOPENING_PRINT: 'The symbol has not printed its reopening (or opening) price yet: only limit orders may be sent until it does.',
  CLOSE_PREPARATION_NO_NEW_RISK: 'The regular close is near: orders that add exposure are refused; reducing orders pass.',
  PRICE_OUTSIDE_LULD_BAND: 'The limit price lies outside the limit up-limit down bands the venue enforces.',
  NO_LIQUIDITY: 'The side of the book the order would take from is empty.',
  SPREAD_TOO_WIDE: 'The bid-ask spread is wider than the most the system crosses.',
  DEPTH_INSUFFICIENT: 'The order would take a larger share of the visible depth than allowed.',
  SLIPPAGE_EXCEEDS_GUARD: 'The expected cost of taking the liquidity (half the spread plus market impact) is above the slippage guard.',
};
