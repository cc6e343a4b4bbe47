import { expect } from 'chai';
import { Decimal } from './sut';
import type { DecisionRow } from './sut';

/** A decision's row for a check, or an error naming the checks the decision has. */
export function rowFor(rows: readonly DecisionRow[], check: string): DecisionRow {
  const row = rows.find(r => r.check === check);
  if (!row) throw new Error(`the decision has no "${check}" check; it has ${rows.map(r => r.check).join(', ')}`);
  return row;
}

/**
 * Compare a recorded figure with the one in the Gherkin: exactly, unless the Gherkin gives four or
 * more decimals, which marks a rounded value (a square root, a share of a fee-reduced equity).
 */
export function expectFigure(actual: string | undefined, expected: Decimal, what: string): void {
  if (actual === undefined) throw new Error(`${what} has no figure`);
  const places = expected.decimalPlaces();
  const shown = places >= 4 ? new Decimal(actual).toDecimalPlaces(places) : new Decimal(actual);
  expect(shown.toString(), what).to.equal(expected.toString());
}
