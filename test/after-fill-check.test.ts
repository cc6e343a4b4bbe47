import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Decimal } from '../domain/shared';
import { EventOf, StoredEvent } from '../domain/state';
import { fundedSystem } from './in-process-system';

test('fills of one symbol that arrive together start one position check, sent once they are on disk', async t => {
  const { core, gateway, system } = fundedSystem(t);
  core.setMark('BTC-PERP', new Decimal(50_000));
  system.updateMark('BTC-PERP', '50000');
  const placed = await system.coordinator.place({ symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: '0.3', limitPrice: '49000' });
  assert.equal(placed.outcome, 'accepted');
  const id = placed.order.clientOrderId;

  // Another connection to the log sees only what is committed.
  const log = new Database(system.ledger.store.path, { readonly: true });
  t.after(() => log.close());
  const fillsOnDisk = () => (log.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'OrderFilled'").get() as { n: number }).n;
  const fillsOnDiskWhenAsked: number[] = [];
  const positions = gateway.positions.bind(gateway);
  gateway.positions = () => {
    fillsOnDiskWhenAsked.push(fillsOnDisk());
    return positions();
  };
  const reconciled = new Promise<StoredEvent & EventOf<'PositionReconciled'>>(resolve => {
    const stop = system.ledger.subscribe(event => {
      if (event.type !== 'PositionReconciled') return;
      stop();
      resolve(event);
    });
  });

  // Three trades against the order at once: their reports reach the system together, one batch.
  for (let i = 0; i < 3; i += 1) core.tradeAgainst(id, new Decimal('0.01'));
  const check = await reconciled;

  assert.deepEqual(fillsOnDiskWhenAsked, [3], 'one request for the position, sent once all three fills were committed');
  assert.equal(check.payload.status, 'matched');
  const tradeIds = system.events.filter(e => e.type === 'OrderFilled').map(e => (e as StoredEvent & EventOf<'OrderFilled'>).payload.tradeId);
  assert.equal(check.payload.trigger, `fills ${tradeIds.join(', ')}`);
});
