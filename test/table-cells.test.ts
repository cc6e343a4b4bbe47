import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asSystemText, cell } from '../support/table-cells';

test('a figure is read only as the specification writes it: separators in threes, a point for decimals', () => {
  assert.equal(cell.figure('250,000').toString(), '250000');
  assert.equal(cell.figure('0.5').toString(), '0.5');
  assert.equal(cell.figure('-100').toString(), '-100');
  for (const bad of ['1,5', '12,34,567', '1.000,5', '', ' 1', 'NaN', '1e3', '5 %']) assert.throws(() => cell.figure(bad), /is not a figure/, bad);
});

test('money, percentages and durations go through the same reader', () => {
  assert.equal(cell.money('50,000 USD').toString(), '50000');
  assert.equal(cell.money('50,000').toString(), '50000');
  assert.throws(() => cell.money('50.000,00 USD'), /is not a figure/);
  assert.equal(cell.percent('12.5 %').toString(), '12.5');
  assert.equal(cell.percent('12.5%').toString(), '12.5');
  for (const bad of ['12.5.%', '12,5 %', '%', '12.5']) assert.throws(() => cell.percent(bad), /is not a percentage/, bad);
  assert.equal(cell.duration('31 seconds'), 31_000);
  assert.equal(cell.duration('60.5 seconds'), 60_500);
  assert.equal(cell.duration('2 minutes'), 120_000);
  assert.throws(() => cell.duration('0.0001 seconds'), /whole number of milliseconds/);
  assert.throws(() => cell.duration('2 fortnights'), /is not a duration/);
});

test('text handed on to the system loses only a well-formed grouping, so the system judges anything else as written', () => {
  assert.equal(asSystemText('250,000'), '250000');
  assert.equal(asSystemText('1,5'), '1,5');
  assert.equal(cell.percentOrFigure('5 %'), '5');
  assert.equal(cell.percentOrFigure('2,5 %'), '2,5');
  assert.equal(cell.percentOrFigure('1,000'), '1000');
  assert.equal(cell.systemText('NaN'), 'NaN');
});
