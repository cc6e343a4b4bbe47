import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { IWorldOptions } from '@cucumber/cucumber';
import { TradingWorld } from '../support/world';

const SEED = '20260105';
// runSeed() reads SEED once, when the first world asks for it: set it before any world is built.
process.env.SEED = SEED;

const WORLD_OPTIONS: IWorldOptions = { attach: (() => undefined) as never, log: () => undefined, link: () => undefined, parameters: {} };

/** The secret a world made in a fresh process with this seed, as the next run replaying it would make. */
function secretInAnotherRun(): string {
  const script = `const { TradingWorld } = require(${JSON.stringify(join(__dirname, '..', 'support', 'world'))});
    const world = new TradingWorld({ attach() {}, log() {}, link() {}, parameters: {} });
    process.stdout.write(JSON.stringify({ seed: world.context.seed, secret: world.context.apiSecret }));`;
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register', '-e', script], { env: { ...process.env, SEED, TS_NODE_TRANSPILE_ONLY: 'true' }, encoding: 'utf8' });
  const { seed, secret } = JSON.parse(out) as { seed: number; secret: string };
  assert.equal(seed, Number(SEED), 'the other run used the same seed');
  return secret;
}

test('the simulated broker\'s secret is random for every scenario: two scenarios, or two runs, with the same seed get different ones', () => {
  const first = new TradingWorld(WORLD_OPTIONS);
  const second = new TradingWorld(WORLD_OPTIONS);
  assert.deepEqual([first.context.seed, second.context.seed], [Number(SEED), Number(SEED)]);
  assert.equal(first.context.random.next(), second.context.random.next(), 'the seeded generator does replay');
  for (const world of [first, second]) assert.match(world.context.apiSecret, /^[0-9a-f]{64}$/, '32 bytes, hex');
  assert.notEqual(first.context.apiSecret, second.context.apiSecret, 'two scenarios of one run');
  assert.notEqual(secretInAnotherRun(), first.context.apiSecret, 'a run replaying the seed');
});
