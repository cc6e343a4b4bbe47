import { defineParameterType } from '@cucumber/cucumber';
import { Decimal } from './sut';
import { DURATION, FIGURE, PERCENT, cell } from './table-cells';

export { asSystemText, cell, figure } from './table-cells';

/** "50,000 USD" -> Decimal 50000 */
defineParameterType({
  name: 'money',
  regexp: new RegExp(`${FIGURE.source} USD`),
  transformer: cell.money,
});

/** A plain figure as a risk officer writes it: "1.5", "250,000", "-100". */
defineParameterType({
  name: 'figure',
  regexp: FIGURE,
  transformer: cell.figure,
});

defineParameterType({
  name: 'percent',
  regexp: PERCENT,
  transformer: cell.percent,
});

defineParameterType({
  name: 'leverage',
  regexp: /\d+(?:\.\d+)?x/,
  transformer: (text: string) => new Decimal(text.slice(0, -1)),
});

defineParameterType({
  name: 'symbol',
  // Perpetuals (BTC-PERP), equities and indices (AAPL, SPX).
  regexp: /[A-Z][A-Z0-9]*(?:-[A-Z]+)?/,
  transformer: (text: string) => text,
});

/** "buys" / "sells" in prose, "buy" / "sell" in tables. */
defineParameterType({
  name: 'side',
  regexp: /buys|sells|buy|sell/,
  transformer: (text: string) => (text.startsWith('buy') ? 'buy' : 'sell'),
});

defineParameterType({
  name: 'verdict',
  regexp: /passes|fails/,
  transformer: (text: string) => text === 'passes',
});

defineParameterType({
  name: 'direction',
  regexp: /long|short|flat/,
  transformer: (text: string) => text,
});

defineParameterType({
  name: 'limiter',
  regexp: /risk budget|position limit|minimum notional/,
  transformer: (text: string) => text,
});

/** A field of an order as a person names it -> its name in the order input. */
defineParameterType({
  name: 'orderField',
  regexp: /quantity|limit price|symbol|side|type/,
  transformer: (text: string) => (text === 'limit price' ? 'limitPrice' : text),
});

/** "new, pending risk, submitted" -> ['new', 'pending risk', 'submitted'] */
defineParameterType({
  name: 'states',
  regexp: /[a-z]+(?: [a-z]+)?(?:, [a-z]+(?: [a-z]+)?)+/,
  transformer: (text: string) => text.split(', '),
});

defineParameterType({
  name: 'duration',
  regexp: DURATION,
  transformer: cell.duration,
});

/** A wall-clock time as the venue's people write it: "2026-01-06 09:29:59". */
defineParameterType({
  name: 'venueTime',
  regexp: /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/,
  transformer: (text: string) => text,
});

/** A trading day: "2026-01-05". */
defineParameterType({
  name: 'isoDate',
  regexp: /\d{4}-\d{2}-\d{2}/,
  transformer: (text: string) => text,
});
