/**
 * The broker of the load test, in a process of its own so the broker's work and the trading
 * system's share the machine as they would in production rather than one event loop: the broker
 * simulator's server (signed REST + user channel) on a loopback port, funded and marked with deep
 * books. Started with fork(); tells the parent its URL on the IPC line, then answers
 * { type: 'books' } with what it holds, so the test checks the limits against the broker's own books.
 */
import { Decimal, SystemClock } from '../domain/shared';
import { DEFAULT_INSTRUMENTS } from '../domain/model';
import { BrokerServer } from '../support/simulators/broker/broker-server';
import { BrokerSimulatorCore } from '../support/simulators/broker/broker-core';

export interface LoadMarket {
  readonly symbol: string;
  readonly mark: string;
}

export type LoadBrokerMessage =
  | { type: 'ready'; url: string }
  | { type: 'books'; positions: { symbol: string; quantity: string }[]; openOrders: number; fills: number; cash: string };

export type LoadBrokerCommand = { type: 'books' } | { type: 'stop' };

export const LOAD_CREDENTIAL = { key: 'load-key', secret: 'load-secret' } as const;

function send(message: LoadBrokerMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const markets = JSON.parse(process.env.LOAD_MARKETS ?? '[]') as LoadMarket[];
  const deposit = new Decimal(process.env.LOAD_DEPOSIT ?? '10000000');
  const clock = new SystemClock();
  const core = new BrokerSimulatorCore({ name: 'SIM', clock, instruments: DEFAULT_INSTRUMENTS });
  core.deposit(deposit);
  for (const { symbol, mark } of markets) {
    const price = new Decimal(mark);
    core.setMark(symbol, price);
    // Deep enough that no market order of the test walks the book: the fills are at the mark.
    core.setBook(symbol, 'asks', [{ price, quantity: new Decimal('1000000000') }]);
    core.setBook(symbol, 'bids', [{ price, quantity: new Decimal('1000000000') }]);
  }
  const server = new BrokerServer({
    core,
    clock,
    credentials: [{ key: LOAD_CREDENTIAL.key, secret: LOAD_CREDENTIAL.secret, permissions: ['read', 'trade'] }],
    rateLimit: { capacity: 10_000_000, refillPerSecond: 10_000_000 },
  });
  await server.start();
  process.on('message', (command: LoadBrokerCommand) => {
    if (command.type === 'books') {
      send({
        type: 'books',
        positions: core.positions().map(p => ({ symbol: p.symbol, quantity: p.netQuantity.toString() })),
        openOrders: core.openOrders().length,
        fills: core.fillHistory().length,
        cash: core.balance().cash.toString(),
      });
    } else if (command.type === 'stop') {
      void server.stop().then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', url: server.url });
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
