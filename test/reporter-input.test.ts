import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVIDENCE_INDEX_MEDIA_TYPE } from '../scripts/front-page';
import { JsonFeature, onceShown, parseFeature, placesFromFiles, planPlaces, reporterInput } from '../scripts/reporter-input';
import { compactPage } from '../scripts/report';

const FEATURE = `Feature: Broker errors (plan 4.3)

  Background:
    Given an account funded with 100,000 USD

  # A scenario before the first Rule belongs to none; every one after it, to a Rule.
  Scenario: A scenario outside any Rule
    Given a step

  Rule: 4.3.1 Broker communication failures

    Scenario: The network drops while an order works
      Given a step

    Scenario Outline: The user channel recovers by itself after <fault>
      Given a step

      Examples: a reset the channel sees at once
        | fault |
        | reset |

      Examples:
        | fault   |
        | silence |
        | timeout |
`;

const base64 = (text: string) => Buffer.from(text).toString('base64');
const step = (keyword: string, embeddings?: { mime_type: string; data: string }[]) => ({ keyword, name: 'a step', result: { status: 'passed' }, ...(embeddings ? { embeddings } : {}) });

function cucumberJson(): JsonFeature[] {
  const evidence = [
    { mime_type: EVIDENCE_INDEX_MEDIA_TYPE, data: base64('[{"kind":"risk decision"}]') },
    { mime_type: 'text/html', data: base64('<h4 class="ev-h">Event timeline</h4>') },
  ];
  return [
    {
      id: 'broker-errors-(plan-4.3)',
      uri: 'features/broker-errors.feature',
      name: 'Broker errors (plan 4.3)',
      keyword: 'Feature',
      elements: [
        { name: 'The network drops while an order works', line: 12, type: 'scenario', keyword: 'Scenario', steps: [step('Given '), step('After', evidence)] },
        { name: 'The user channel recovers by itself after reset', line: 20, type: 'scenario', keyword: 'Scenario Outline', steps: [step('Given ', [{ mime_type: 'text/html', data: base64('<table class="ev-table"></table>') }])] },
        { name: 'The user channel recovers by itself after timeout', line: 25, type: 'scenario', keyword: 'Scenario Outline', steps: [step('Given ')] },
        { name: 'A scenario outside any Rule', line: 7, type: 'scenario', keyword: 'Scenario', steps: [step('Given ')] },
      ],
    },
  ];
}

test("each scenario's name says its Rule and, for an example, its Examples and row", () => {
  const places = planPlaces(parseFeature(FEATURE, 'features/broker-errors.feature'));
  const [feature] = reporterInput(cucumberJson(), () => places);
  assert.deepEqual(
    feature.elements?.map(e => e.name),
    [
      '4.3.1 Broker communication failures — The network drops while an order works',
      '4.3.1 Broker communication failures — The user channel recovers by itself after reset — Examples "a reset the channel sees at once", row 1',
      '4.3.1 Broker communication failures — The user channel recovers by itself after timeout — Examples, row 2',
      'A scenario outside any Rule',
    ],
  );
});

test("each feature's page is named after its feature file, and the evidence index is left to the front page", () => {
  const [feature] = reporterInput(cucumberJson(), () => undefined);
  assert.equal(feature.id, 'broker-errors');
  assert.equal(feature.elements?.[0].name, 'The network drops while an order works', 'without the feature file, names stay as Cucumber wrote them');
  const after = feature.elements?.[0].steps[1];
  assert.deepEqual(after?.embeddings?.map(e => e.mime_type), ['text/html']);
  assert.equal(feature.elements?.[1].steps[0].embeddings?.length, 1, "a step's own evidence stays on it");
  // The input is not changed: the front page and the shard merge read the same file.
  assert.equal(cucumberJson()[0].elements?.[0].steps[1].embeddings?.length, 2);
});

test('two feature files that would share a page, or a name the page cannot carry, are refused', () => {
  const [one] = cucumberJson();
  assert.throws(() => reporterInput([one, { ...one, uri: 'features/more/broker-errors.feature' }], () => undefined), /features\/broker-errors\.feature and features\/more\/broker-errors\.feature would both be html\/features\/broker-errors\.html/);
  assert.throws(() => reporterInput([{ ...one, uri: 'features/broker errors.feature' }], () => undefined), /letters, digits/);
  // The same feature twice (results put together from two runs) is one page with the scenarios of both.
  const merged = reporterInput([one, one], () => undefined);
  assert.equal(merged.length, 1);
  assert.equal(merged[0].elements?.length, 2 * (one.elements?.length ?? 0));
});

test('the plan places are read from the feature files, and a feature file that does not parse is a clear error', () => {
  const root = mkdtempSync(join(tmpdir(), 'reporter-input-'));
  try {
    mkdirSync(join(root, 'features'));
    writeFileSync(join(root, 'features', 'broker-errors.feature'), FEATURE);
    writeFileSync(join(root, 'features', 'broken.feature'), 'Feature: x\n  Scenario: y\n    Given a\n  | not | a | step |\n  Rule\n');
    const placesOf = placesFromFiles(root);
    assert.equal(placesOf('features/broker-errors.feature')?.get(12)?.rule, '4.3.1 Broker communication failures');
    assert.equal(placesOf('features/absent.feature'), undefined);
    assert.throws(() => placesOf('features/broken.feature'), /features\/broken\.feature does not parse/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the pages lose the templates' indentation, not the white space of a preformatted block", () => {
  const page = '<div>\n        <span>Given </span>\n        a step\n    </div>\n<pre class=info>Error:\n    at line 1\n</pre>\n    <div class="label" title="Success">\n<i class="fa fa-check-circle fa-2x passed-color" data-bs-toggle="tooltip" data-placement="top" title="Step passed"></i>';
  assert.equal(compactPage(page), '<div>\n<span>Given </span>\na step\n</div>\n<pre class=info>Error:\n    at line 1\n</pre>\n<div class="label" title="Step passed">\n<i class="fa fa-check-circle fa-2x passed-color"></i>');
});

test('a step\'s table is shown once a page: a later copy of the same step with the same table says where it is, a different table stays', () => {
  const table = [{ rows: [{ cells: ['symbol', 'mark'] }, { cells: ['BTC-PERP', '50,000'] }] }];
  const other = [{ rows: [{ cells: ['symbol', 'mark'] }, { cells: ['ETH-PERP', '3,000'] }] }];
  const shown = new Set<string>();
  const first = onceShown({ keyword: 'And ', name: 'the market is:', line: 11, arguments: table }, shown);
  const again = onceShown({ keyword: 'And ', name: 'the market is:', line: 11, arguments: table }, shown);
  const changed = onceShown({ keyword: 'And ', name: 'the market is:', line: 11, arguments: other }, shown);
  const plain = onceShown({ keyword: 'When ', name: 'the trader buys 1 BTC-PERP at market', line: 20, arguments: [] }, shown);
  assert.deepEqual(first.arguments, table);
  assert.deepEqual(again.arguments, []);
  assert.match(String(again.name), /^the market is: \(the same table as where this page first shows this step\)$/);
  assert.deepEqual(changed.arguments, other);
  assert.equal(plain.name, 'the trader buys 1 BTC-PERP at market');
});
