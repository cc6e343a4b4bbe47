import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Decimal, TradingError } from '../domain/shared';
import { fundedSystem } from './in-process-system';

const ORDERS = 8;

/** The commits the system's log makes from now on, counted; listeners hear each event with the number of the commit that wrote it. */
function countCommits(system: ReturnType<typeof fundedSystem>['system']): { commits: () => number; commitOf: Map<number, number> } {
  const store = system.ledger.store;
  let commits = 0;
  const commit = store.commit.bind(store);
  store.commit = (failure?: unknown) => {
    commit(failure);
    commits += 1;
  };
  const commitOf = new Map<number, number>();
  system.ledger.subscribe(event => commitOf.set(event.seq, commits));
  return { commits: () => commits, commitOf };
}

test('orders placed at once share one commit for their requests, and none reaches the broker before its request is on disk', async t => {
  const { core, gateway, system } = fundedSystem(t);
  core.setMark('BTC-PERP', new Decimal(50_000));
  system.updateMark('BTC-PERP', '50000');
  const { commits, commitOf } = countCommits(system);
  // Another connection to the log sees only what is committed.
  const log = new Database(system.ledger.store.path, { readonly: true });
  t.after(() => log.close());
  const submittedOnDisk = (clientOrderId: string) =>
    (log.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'OrderSubmitted' AND json_extract(payload, '$.clientOrderId') = ?").get(clientOrderId) as { n: number }).n === 1;
  const sentBeforeCommitted: string[] = [];
  const submit = gateway.submit.bind(gateway);
  gateway.submit = request => {
    if (!submittedOnDisk(request.clientOrderId)) sentBeforeCommitted.push(request.clientOrderId);
    return submit(request);
  };

  // Listeners hear of an event once it is committed: each place must answer only after its acknowledgement was heard.
  const acknowledged = new Set<string>();
  system.ledger.subscribe(event => {
    if (event.type === 'OrderAcknowledged') acknowledged.add(event.payload.clientOrderId);
  });
  const answeredBeforeDurable: string[] = [];
  const results = await Promise.all(
    Array.from({ length: ORDERS }, () =>
      system.coordinator.place({ symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: '0.01', limitPrice: '49000' }).then(result => {
        if (result.outcome === 'accepted' && !acknowledged.has(result.order.clientOrderId)) answeredBeforeDurable.push(result.order.clientOrderId);
        return result;
      }),
    ),
  );

  assert.deepEqual(results.map(r => r.outcome), Array(ORDERS).fill('accepted'));
  assert.deepEqual(sentBeforeCommitted, [], 'every order request went out after its submission was committed');
  const submissions = system.events.filter(e => e.type === 'OrderSubmitted');
  assert.equal(submissions.length, ORDERS);
  assert.equal(new Set(submissions.map(e => commitOf.get(e.seq))).size, 1, 'the requests, risk decisions and submissions of all the orders went to disk in one commit');
  const acknowledgements = system.events.filter(e => e.type === 'OrderAcknowledged');
  assert.equal(new Set(acknowledgements.map(e => commitOf.get(e.seq))).size, 1, 'the acknowledgements of the answers that came together went to disk in one commit');
  assert.equal(commits(), 2, `${ORDERS} orders placed and acknowledged with two syncs to disk`);
  assert.deepEqual(answeredBeforeDurable, [], 'every place answered once its acknowledgement was on disk');
});

test('when the commit of the orders placed at once fails, no request reaches the broker and every place is refused', async t => {
  const { core, gateway, system } = fundedSystem(t);
  core.setMark('BTC-PERP', new Decimal(50_000));
  system.updateMark('BTC-PERP', '50000');
  const sent: string[] = [];
  const submit = gateway.submit.bind(gateway);
  gateway.submit = request => {
    sent.push(request.clientOrderId);
    return submit(request);
  };
  // The disk refuses the commit (full, gone): the store's own handle is the only way to make COMMIT fail on cue.
  const db = (system.ledger.store as unknown as { db: Database.Database }).db;
  const exec = db.exec.bind(db);
  db.exec = (sql: string) => {
    if (sql === 'COMMIT') throw new Error('disk I/O error');
    return exec(sql);
  };

  const results = await Promise.allSettled(Array.from({ length: ORDERS }, () => system.coordinator.place({ symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.01' })));

  for (const result of results) {
    assert.equal(result.status, 'rejected');
    const error = result.status === 'rejected' ? (result.reason as unknown) : undefined;
    assert.ok(error instanceof TradingError && error.kind === 'EventStoreClosed', String(error));
  }
  assert.deepEqual(sent, [], 'the broker heard of none of the orders');
  assert.deepEqual(core.openOrders(), []);
  assert.equal(system.ledger.store.isClosed, true);
});

test('what a hook records before a commit goes to disk in the same commit as the events it heard, and listeners hear of both after it', t => {
  const { system } = fundedSystem(t);
  const { commits, commitOf } = countCommits(system);
  const ledger = system.ledger;
  const heardBeforeCommit: string[] = [];
  const stop = ledger.beforeEachCommit(events => {
    for (const event of events) {
      if (event.type !== 'AccountFunded') continue;
      heardBeforeCommit.push(event.payload.amount);
      // A deposit answered by a fee, as a breaker answers a fill with its change of level.
      if (event.payload.amount === '100') ledger.record({ type: 'AccountFunded', payload: { currency: 'USD', amount: '1' } });
    }
  });
  t.after(stop);

  const deposit = system.fund('100');

  assert.deepEqual(heardBeforeCommit, ['100', '1'], 'the hook heard the deposit, then what it recorded itself');
  const answer = system.events.find(e => e.seq === deposit.seq + 1);
  assert.equal(answer?.type, 'AccountFunded');
  assert.equal(commits(), 1, 'one sync to disk for the deposit and what the hook recorded');
  assert.equal(commitOf.get(deposit.seq), 1);
  assert.equal(commitOf.get(deposit.seq + 1), 1);
});
