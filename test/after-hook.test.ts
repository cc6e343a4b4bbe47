import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface CucumberScenario { name: string; steps: { keyword: string; result: { status: string; error_message?: string } }[] }

test('the After hook fails a scenario that passed without checking an error its steps raised, and only that', () => {
  const out = mkdtempSync(join(tmpdir(), 'after-hook-'));
  try {
    const run = spawnSync(
      process.execPath,
      [
        'node_modules/@cucumber/cucumber/bin/cucumber-js',
        'test/fixtures/unchecked-error.feature',
        '--require-module', 'ts-node/register',
        '--require', 'support/**/*.ts',
        '--require', 'test/fixtures/unchecked-error.steps.ts',
        '--config', 'test/fixtures/cucumber.fixture.js',
        '--format', `json:${join(out, 'result.json')}`,
      ],
      { env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', BROKER_TRANSPORT: 'in-process' }, encoding: 'utf8', timeout: 100_000 },
    );
    assert.notEqual(run.status, 0, 'a run with an unchecked error fails');
    const [feature] = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { elements: CucumberScenario[] }[];
    const failedHook = (name: string) => {
      const scenario = feature.elements.find(e => e.name === name);
      assert.ok(scenario, name);
      return scenario.steps.find(s => s.keyword === 'After' && s.result.status === 'failed')?.result.error_message ?? null;
    };
    assert.match(failedHook('A refusal no Then checks') ?? '', /without checking an error its steps raised:\s+the refused step: Error: refused on purpose/);
    assert.equal(failedHook('A refusal a Then checks'), null);
    assert.match(failedHook('A background failure no Then checks') ?? '', /the background work \(in the background\): Error: failed on purpose/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
