import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AstBuilder, GherkinClassicTokenMatcher, Parser, compile } from '@cucumber/gherkin';
import { IdGenerator } from '@cucumber/messages';
import { orderPrefixOf } from '../support/order-names';

const FEATURE = `Feature: order flow

  Rule: 4.1.1 lifecycle

    @TC-IF-001
    Scenario: one order
      Given a step

    @TC-IF-004
    Scenario Outline: fills of <n>
      Given a step <n>

      Examples:
        | n |
        | 1 |
        | 2 |

  Scenario: no test case
    Given a step
`;

function pickles() {
  const document = new Parser(new AstBuilder(IdGenerator.uuid()), new GherkinClassicTokenMatcher()).parse(FEATURE);
  return { document, pickles: compile(document, 'features/order-flow.feature', IdGenerator.uuid()) };
}

test('a scenario\'s orders are named by its test case\'s code and the line it is written on; an Examples row by its own line', () => {
  const { document, pickles: all } = pickles();
  assert.deepEqual(all.map(p => orderPrefixOf(p, document)), ['IF6', 'IF15', 'IF16', 'CO18']);
});

test('the names are the same from run to run, though cucumber\'s ids are not', () => {
  const first = pickles();
  const second = pickles();
  assert.notEqual(first.pickles[0].id, second.pickles[0].id);
  assert.deepEqual(first.pickles.map(p => orderPrefixOf(p, first.document)), second.pickles.map(p => orderPrefixOf(p, second.document)));
});

test('without its document a scenario is named by its code alone', () => {
  const { pickles: all } = pickles();
  assert.equal(orderPrefixOf(all[0], undefined), 'IF');
});
