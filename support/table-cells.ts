import { Decimal } from './sut';

// The readers of the Gherkin's numbers, apart from the parameter types that use them: the DSL reads
// table cells with them, and a world is built outside a Cucumber run too (a unit test does).

/** Thousands separators are for the reader of the Gherkin, so only here, and only well formed: "100,000" is 100000, "1,5" is no figure. */
export const FIGURE = /-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?/;
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

export const PERCENT = /-?\d+(?:\.\d+)? ?%/;
export const DURATION = /\d+(?:\.\d+)? (?:seconds?|minutes?|hours?|days?)/;
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
