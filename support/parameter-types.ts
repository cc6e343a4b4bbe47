import { defineParameterType } from '@cucumber/cucumber';
import { Decimal } from '../domain/shared/decimal';

/** Thousands separators are for the reader of the Gherkin, so only here, and only well formed: "100,000" is 100000, "1,5" is no figure. */
const FIGURE = /-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?/;
const WHOLE_FIGURE = new RegExp(`^${FIGURE.source}$`);

/** A figure the step itself reads ("250,000" in a table): a malformed one fails the step. */
export function figure(text: string): Decimal {
  if (!WHOLE_FIGURE.test(text)) throw new Error(`${JSON.stringify(text)} is not a figure as the specification writes them (e.g. 250,000 or 0.5)`);
  return new Decimal(text.replace(/,/g, ''));
}

/** Text the step hands on to the system: a grouped figure loses its separators, anything else goes as written, for the system to judge. */
export function asSystemText(text: string): string {
  return WHOLE_FIGURE.test(text) ? text.replace(/,/g, '') : text;
}

/** "50,000 USD" -> Decimal 50000 */
defineParameterType({
  name: 'money',
  regexp: new RegExp(`${FIGURE.source} USD`),
  transformer: (text: string) => figure(text.replace(/ USD$/, '')),
});

/** A plain figure as a risk officer writes it: "1.5", "250,000", "-100". */
defineParameterType({
  name: 'figure',
  regexp: FIGURE,
  transformer: (text: string) => figure(text),
});

defineParameterType({
  name: 'percent',
  regexp: /-?\d+(?:\.\d+)? ?%/,
  transformer: (text: string) => new Decimal(text.replace(/ ?%$/, '')),
});

defineParameterType({
  name: 'leverage',
  regexp: /\d+(?:\.\d+)?x/,
  transformer: (text: string) => new Decimal(text.slice(0, -1)),
});

defineParameterType({
  name: 'symbol',
  regexp: /[A-Z][A-Z0-9]*-[A-Z]+/,
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

/** "31 seconds", "60.5 seconds", "2 minutes", "1 hour", "1 day" -> milliseconds; a fraction must come to whole milliseconds. */
defineParameterType({
  name: 'duration',
  regexp: /\d+(?:\.\d+)? (?:seconds?|minutes?|hours?|days?)/,
  transformer: (text: string) => {
    const [amount, unit] = text.split(' ');
    const ms = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 }[unit.replace(/s$/, '') as 'second' | 'minute' | 'hour' | 'day'];
    const total = new Decimal(amount).times(ms);
    if (!total.isInteger()) throw new Error(`${JSON.stringify(text)} is not a whole number of milliseconds`);
    return total.toNumber();
  },
});
