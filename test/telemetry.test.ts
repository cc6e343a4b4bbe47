import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alert, AlertLog, MAX_KEPT_ALERTS } from '../domain/telemetry';

const alert = (n: number): Alert => ({ breaker: 'price move', level: n % 2 === 0 ? 'warning' : 'critical', observed: `${n} %`, limit: '5 %', at: new Date(n * 1000).toISOString(), message: `alert ${n}` });

test('the alert log keeps the most recent alerts, not all of a long-running process, and every listener hears every one', () => {
  const log = new AlertLog();
  let heard = 0;
  log.subscribe(() => (heard += 1));
  const raised = MAX_KEPT_ALERTS + 500;
  for (let n = 1; n <= raised; n += 1) log.raise(alert(n));
  assert.equal(heard, raised);
  assert.equal(log.count, raised);
  const kept = log.all();
  assert.equal(kept.length, MAX_KEPT_ALERTS);
  assert.equal(kept[0].message, `alert ${raised - MAX_KEPT_ALERTS + 1}`);
  assert.equal(kept[kept.length - 1].message, `alert ${raised}`);
});
