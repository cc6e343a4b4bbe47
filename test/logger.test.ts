import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../domain/shared/clock';
import { JsonLinesLogger, REDACTED } from '../domain/telemetry/logger';

test('a log record is one JSON line and secrets never reach it, however deep', () => {
  const lines: string[] = [];
  const logger = new JsonLinesLogger(line => lines.push(line), new VirtualClock('2026-01-05T14:30:00.000Z'));
  logger.log('warn', 'auth', { apiKey: 'k-123', nested: { api_secret: 's-456', list: [{ signature: 'abc' }] }, broker: 'SIM' });
  assert.equal(lines.length, 1);
  assert.equal(lines[0].includes('\n'), false);
  for (const secret of ['k-123', 's-456', 'abc']) assert.equal(lines[0].includes(secret), false, secret);
  const record = JSON.parse(lines[0]);
  assert.deepEqual(record, {
    ts: '2026-01-05T14:30:00.000Z',
    level: 'warn',
    component: 'trading-system',
    msg: 'auth',
    apiKey: REDACTED,
    nested: { api_secret: REDACTED, list: [{ signature: REDACTED }] },
    broker: 'SIM',
  });
});
