import { defineParameterType } from '@cucumber/cucumber';
import { Decimal } from './sut/system-under-test';

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

const PERCENT = /-?\d+(?:\.\d+)? ?%/;
const DURATION = /\d+(?:\.\d+)? (?:seconds?|minutes?|hours?|days?)/;
const UNIT_MS = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

function whole(pattern: RegExp, text: string, what: string): string {
  if (!new RegExp(`^(?:${pattern.source})$`).test(text)) throw new Error(`${JSON.stringify(text)} is not ${what}`);
  return text;
}

/**
 * The one reader of the Gherkin's numbers: the parameter types below and the cells of a table go
 * through the same functions, so "250,000", "12.5 %", "50,000 USD" and "2 minutes" mean the same
 * wherever they are written, and a malformed one fails the step that reads it.
 */
export const cell = {
  figure,
  /** "50,000 USD" -> 50000; a bare figure is read as USD too. */
  money: (text: string): Decimal => figure(text.replace(/ USD$/, '')),
  /** "12.5 %" or "12.5%" -> 12.5 (the figure as written, not a share). */
  percent: (text: string): Decimal => new Decimal(whole(PERCENT, text.trim(), 'a percentage (e.g. 12.5 %)').replace(/ ?%$/, '')),
  /** A percentage with or without its sign, as a level table gives it: "5 %" and "5" are both 5. */
  percentOrFigure: (text: string): string => asSystemText(text.trim().replace(/ ?%$/, '')),
  /** "31 seconds", "60.5 seconds", "2 minutes" -> milliseconds; a fraction must come to whole milliseconds. */
  duration: (text: string): number => {
    const [amount, unit] = whole(DURATION, text.trim(), 'a duration (e.g. 30 seconds)').split(' ');
    const total = new Decimal(amount).times(UNIT_MS[unit.replace(/s$/, '') as keyof typeof UNIT_MS]);
    if (!total.isInteger()) throw new Error(`${JSON.stringify(text)} is not a whole number of milliseconds`);
    return total.toNumber();
  },
  /** Text handed on to the system to judge (a limit a risk officer types): only a well-formed grouping loses its commas. */
  systemText: asSystemText,
};

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

defineParameterType({
  name: 'duration',
  regexp: DURATION,
  transformer: cell.duration,
});
