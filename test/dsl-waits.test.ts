import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { VirtualClock, Decimal } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { SILENT_LOGGER } from '../domain/telemetry';
import { BrokerSimulatorCore, InProcessBrokerGateway } from '../support/simulators/broker';
import { referenceDriver } from '../support/sut';
import { RaisedErrors, SystemSession } from '../support/dsl';

test('a wait for an event after a mark does not take an earlier event that matches too', async () => {
  const clock = new VirtualClock('2026-01-05T14:30:00.000Z');
  const dir = mkdtempSync(`${tmpdir()}/dsl-waits-`);
  const gateway = new InProcessBrokerGateway(new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS }));
  const session = new SystemSession(referenceDriver, () => ({ dataDir: dir, routes: [{ name: 'SIM', transport: 'in-process', gateway }], clock, random: () => 0.5, logger: SILENT_LOGGER, circuitBreakers: 'disarmed', reconciliation: 'on request' }), new RaisedErrors());
  try {
    const system = await session.start();
    system.updateMark('BTC-PERP', new Decimal(50_000));
    const mark = system.events.mark();
    const waited = session.forEvent('the next mark', e => e.type === 'MarkPriceUpdated', mark);
    system.updateMark('BTC-PERP', new Decimal(50_100));
    const event = await waited;
    assert.equal(event.seq, mark + 1);
    assert.equal(event.type === 'MarkPriceUpdated' && event.payload.price, '50100');
    await assert.rejects(session.forEvent('a fill', e => e.type === 'OrderFilled', mark, 50), /timed out after 50 ms waiting for a fill/);
  } finally {
    await session.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
