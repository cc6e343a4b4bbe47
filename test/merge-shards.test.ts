import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeCucumberJson, mergeShards } from '../scripts/merge-shards';

test('a feature split across shards becomes one feature holding every shard\'s scenarios, in shard order', () => {
  const merged = mergeCucumberJson([
    [{ uri: 'features/order-flow.feature', name: 'Order flow', elements: ['a', 'b'] }],
    [{ uri: 'features/order-flow.feature', name: 'Order flow', elements: ['c'] }, { uri: 'features/reconciliation.feature', elements: ['d'] }],
  ]);
  assert.deepEqual(merged.map(f => [f.uri, f.elements]), [['features/order-flow.feature', ['a', 'b', 'c']], ['features/reconciliation.feature', ['d']]]);
});

test('shard folders are merged into one report folder: results, each shard\'s workers under its own name, one run request', () => {
  const root = mkdtempSync(join(tmpdir(), 'shards-'));
  const reports = join(root, 'reports');
  for (const shard of ['1', '2']) {
    mkdirSync(join(root, 'shards', shard, 'run-metadata'), { recursive: true });
    writeFileSync(join(root, 'shards', shard, 'cucumber.json'), JSON.stringify([{ uri: 'features/a.feature', elements: [shard] }]));
    writeFileSync(join(root, 'shards', shard, 'messages.ndjson'), '');
    writeFileSync(join(root, 'shards', shard, 'run-metadata', 'worker-main.json'), '{}');
    writeFileSync(join(root, 'shards', shard, 'run-metadata', 'run.json'), JSON.stringify({ shard }));
  }
  const merged = mergeShards(join(root, 'shards'), reports);
  assert.equal(merged.scenarios, 2);
  assert.deepEqual(merged.messages, ['1', '2'].map(s => join(root, 'shards', s, 'messages.ndjson')));
  assert.deepEqual(readdirSync(join(reports, 'run-metadata')).sort(), ['run.json', 'worker-shard1-main.json', 'worker-shard2-main.json']);
  assert.deepEqual(JSON.parse(readFileSync(join(reports, 'run-metadata', 'run.json'), 'utf8')), { shard: '1' });
});

test('a shard folder without its results is refused: the report would say less than the run did', () => {
  const root = mkdtempSync(join(tmpdir(), 'shards-'));
  mkdirSync(join(root, 'shards', '1'), { recursive: true });
  mkdirSync(join(root, 'shards', '2'), { recursive: true });
  writeFileSync(join(root, 'shards', '1', 'cucumber.json'), '[]');
  writeFileSync(join(root, 'shards', '1', 'messages.ndjson'), '');
  assert.throws(() => mergeShards(join(root, 'shards'), join(root, 'reports')), /shard folder\(s\) 2/);
});
