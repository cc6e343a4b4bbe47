import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../domain/shared';
import { CIRCULAR, JsonLinesLogger, MAX_LOGGED_TEXT, REDACTED, TOO_DEEP, UNREADABLE, redact, redactText } from '../domain/telemetry';

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

/** Objects shaped the way real ones reach a logger, each hiding a secret where key-based redaction alone misses it. */
function craftedFields(): Array<[string, Record<string, unknown>, string]> {
  const deep: Record<string, unknown> = { apiKey: 'S01-deep-key' };
  let nest: Record<string, unknown> = deep;
  for (let i = 0; i < 12; i += 1) nest = { level: nest };

  class Credentials {
    constructor(readonly user: string, private readonly pass: string) {}
    toJSON(): unknown {
      return { user: this.user, password: this.pass };
    }
  }

  const circular: Record<string, unknown> = { name: 'loop', password: 'S05-circular' };
  circular.self = circular;

  const cause = Object.assign(new Error('upstream said x-api-key: S07-cause-header'), { config: { headers: { authorization: 'Bearer S07b-cause-token' } } });
  const error = new Error('request failed', { cause });

  const throwing: Record<string, unknown> = { secret: 'S08-beside-a-throwing-getter' };
  Object.defineProperty(throwing, 'boom', { enumerable: true, get: () => { throw new Error('no'); } });

  class Connection {
    readonly host = 'broker';
    readonly apiSecret = 'S10-class-field';
    readonly options = { passphrase: 'S10b-nested' };
  }

  return [
    ['nested 13 levels deep', { request: nest }, 'S01-deep-key'],
    ['toJSON returning a secret', { creds: { toJSON: () => ({ token: 'S02-tojson' }) } }, 'S02-tojson'],
    ['class with toJSON', { creds: new Credentials('ops', 'S03-class-tojson') }, 'S03-class-tojson'],
    ['a Map of headers', { headers: new Map<string, unknown>([['x-api-key', 'S04-map'], ['inner', { signature: 'S04b-map-nested' }]]) }, 'S04-map'],
    ['a cycle', { account: circular }, 'S05-circular'],
    ['a Set of credentials', { keys: new Set([{ secret: 'S06-set' }]) }, 'S06-set'],
    ['an Error with a cause', { error }, 'S07-cause-header'],
    ['an Error cause with headers', { error }, 'S07b-cause-token'],
    ['a getter that throws', { item: throwing }, 'S08-beside-a-throwing-getter'],
    ['a Buffer of a secret', { body: Buffer.from('S09-buffer') }, 'S09-buffer'],
    ['a class instance', { connection: new Connection() }, 'S10-class-field'],
    ['a class instance, nested', { connection: new Connection() }, 'S10b-nested'],
    ['a header line under an innocuous key', { raw: 'GET /api/v1/balance\r\nx-api-key: S11-raw-header\r\nx-signature: S11b-sig' }, 'S11-raw-header'],
    ['a signature header line', { raw: 'x-signature: S11b-sig' }, 'S11b-sig'],
    ['a bearer token in a message', { note: 'retrying with Authorization: Bearer S12-bearer' }, 'S12-bearer'],
    ['a query string', { url: '/v1/orders?apiKey=S13-query&symbol=BTC-PERP' }, 'S13-query'],
    ['JSON text of a body', { body: '{"symbol":"BTC-PERP","password":"S14-json-text"}' }, 'S14-json-text'],
    ['a deep array', { rows: [[[[[[[[[[{ token: 'S15-array' }]]]]]]]]]] }, 'S15-array'],
    ['a bare bearer token in a message', { note: 'upstream replied: Bearer S17-bare' }, 'S17-bare'],
    ['a toJSON that throws beside a secret', { creds: { toJSON() { throw new Error('no'); } }, secret: 'S18-beside-a-throwing-tojson' }, 'S18-beside-a-throwing-tojson'],
  ];
}

test('no crafted object gets a secret into the line, and every line is still one JSON object', () => {
  const failures: string[] = [];
  for (const [what, fields, secret] of craftedFields()) {
    const lines: string[] = [];
    const logger = new JsonLinesLogger(line => lines.push(line), new VirtualClock('2026-01-05T14:30:00.000Z'));
    try {
      logger.log('error', 'crafted', fields);
      JSON.parse(lines[0]);
      if (lines.length !== 1) failures.push(`${what}: ${lines.length} lines`);
      else if (lines[0].includes(secret)) failures.push(`${what}: leaked ${secret}`);
    } catch (error) {
      failures.push(`${what}: ${String(error)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('the message itself is scrubbed of secrets written into it', () => {
  const lines: string[] = [];
  new JsonLinesLogger(line => lines.push(line), new VirtualClock()).log('warn', 'refused: x-api-key: S16-in-message', {});
  assert.equal(lines[0].includes('S16-in-message'), false, lines[0]);
});

test('redaction keeps what is not secret and says what it left out', () => {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  let deep: unknown = 'bottom';
  for (let i = 0; i < 12; i += 1) deep = { level: deep };
  const shared = { symbol: 'BTC-PERP' };
  const out = redact({
    circular,
    deep,
    twice: [shared, shared],
    when: new Date('2026-01-05T14:30:00.000Z'),
    map: new Map([['symbol', 'ETH-PERP']]),
    set: new Set(['a', 'b']),
    bytes: Buffer.from('abc'),
    error: new Error('broker unavailable'),
    count: 10n,
  }) as Record<string, unknown>;
  assert.deepEqual((out.circular as Record<string, unknown>).self, CIRCULAR);
  assert.ok(JSON.stringify(out.deep).includes(TOO_DEEP));
  assert.deepEqual(out.twice, [{ symbol: 'BTC-PERP' }, { symbol: 'BTC-PERP' }]);
  assert.equal(out.when, '2026-01-05T14:30:00.000Z');
  assert.deepEqual(out.map, { symbol: 'ETH-PERP' });
  assert.deepEqual(out.set, ['a', 'b']);
  assert.equal(out.bytes, '[3 bytes]');
  assert.equal((out.error as Record<string, unknown>).message, 'broker unavailable');
  assert.equal(out.count, '10');
  assert.equal(redact('signature does not match the request'), 'signature does not match the request');
  const endless = (): unknown => ({ toJSON: endless });
  assert.ok(JSON.stringify(redact({ x: endless() })).includes(TOO_DEEP));
  assert.deepEqual(JSON.parse(JSON.stringify(redact({ self: { a: 1, toJSON() { return this; } } }))), { self: { a: 1 } });
});

test('an object whose toJSON throws is printed as unreadable, and the rest of the line is still written', () => {
  const lines: string[] = [];
  const logger = new JsonLinesLogger(line => lines.push(line), new VirtualClock('2026-01-05T14:30:00.000Z'));
  assert.doesNotThrow(() => logger.log('error', 'crafted', { creds: { toJSON() { throw new Error('no'); } }, secret: 'S18', broker: 'SIM' }));
  const record = JSON.parse(lines[0]);
  assert.equal(record.creds, UNREADABLE);
  assert.equal(record.secret, REDACTED);
  assert.equal(record.broker, 'SIM');
});

test('a long string a trader supplies is cut before it is scanned, and the scan does not backtrack on it', () => {
  for (const text of ['a'.repeat(1_000_000), 'token'.repeat(200_000), 'password='.repeat(100_000), `${'x'.repeat(5000)} api_key=S19-after-the-cut`]) {
    const out = redactText(text);
    assert.ok(out.length <= MAX_LOGGED_TEXT + 40, `${out.length} characters written`);
    assert.match(out, /more characters\]$/);
    assert.equal(out.includes('S19'), false);
  }
  assert.equal(redactText('refused: x-api-key: S20 and password = "S21", quantity=1'), 'refused: x-api-key: [redacted] and password = "[redacted]", quantity=1');
});
