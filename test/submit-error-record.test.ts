import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decimal } from '../domain/shared';
import { EventOf, StoredEvent } from '../domain/state';
import { fundedSystem } from './in-process-system';

test('a submit whose answer was lost, settled by the broker\'s report while the order is looked up, keeps the lost answer on the record', async t => {
  const { core, gateway, system } = fundedSystem(t);
  core.setMark('BTC-PERP', new Decimal(50_000));
  system.updateMark('BTC-PERP', '50000');
  // The broker takes the order; its answer never arrives.
  gateway.failNextOrderRequest('answer-lost');
  const lookUp = gateway.getOrder.bind(gateway);
  const statusWhenAsked: string[] = [];
  gateway.getOrder = async clientOrderId => {
    statusWhenAsked.push(system.ledger.state.order(clientOrderId).status);
    const view = await lookUp(clientOrderId);
    // The broker's acknowledgement reaches the system while the look-up's answer is on its way back.
    if (view) system.ledger.record({ type: 'OrderAcknowledged', payload: { clientOrderId, brokerOrderId: view.brokerOrderId } });
    return view;
  };
  const placed = await system.coordinator.place({ symbol: 'BTC-PERP', side: 'buy', type: 'limit', quantity: '0.1', limitPrice: '49000' });

  assert.deepEqual(statusWhenAsked, ['submitted'], 'the order was looked up while it was still only submitted here');
  if (placed.outcome !== 'accepted') throw new Error(`the order was not accepted: ${placed.outcome}`);
  assert.equal(placed.order.status, 'acknowledged');
  const errors = system.events.filter((e): e is StoredEvent & EventOf<'BrokerErrorRecorded'> => e.type === 'BrokerErrorRecorded');
  assert.equal(errors.length, 1, 'the lost answer is on the record once');
  assert.equal(errors[0].payload.clientOrderId, placed.order.clientOrderId);
  assert.equal(errors[0].payload.operation, 'submit');
  assert.equal(system.events.filter(e => e.type === 'OrderSubmitted').length, 1, 'the order was not sent again');
});
