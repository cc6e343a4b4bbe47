import { mkdirSync, writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { After, AfterAll, BeforeAll, Status } from '@cucumber/cucumber';
import { DEFAULT_SETTINGS, SETTING_LABELS } from '../domain/state/runtime-settings';
import { TradingWorld } from './world';
import { decisionTablesHtml, limitsInForceHtml, timelineHtml } from './evidence';
import { runSeed } from './run-context';

const startedAt = new Date().toISOString();

BeforeAll(function () {
  console.log(`seed ${runSeed()} (replay with SEED=${runSeed()})`);
});

After(async function (this: TradingWorld, { result }) {
  try {
    if (this.systemIsRunning) {
      const events = this.system.events;
      this.attach(limitsInForceHtml(this.system.state.settings.version, this.system.state.settings.snapshot()), 'text/html');
      const decisions = decisionTablesHtml(events);
      if (decisions) this.attach(decisions, 'text/html');
      this.attach(timelineHtml(events), 'text/html');
      if (result?.status === Status.FAILED) this.attach(JSON.stringify(this.system.telemetry.counterSnapshot(), null, 2), 'application/json');
    }
  } finally {
    await this.dispose();
  }
});

AfterAll(function () {
  mkdirSync('reports', { recursive: true });
  let gitCommit = 'unknown';
  try {
    gitCommit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    // Not a git checkout: the report says "unknown".
  }
  const riskLimits = Object.fromEntries(Object.entries(DEFAULT_SETTINGS).map(([key, value]) => [SETTING_LABELS[key] ?? key, value]));
  const metadata = {
    version: process.env.npm_package_version ?? 'unknown',
    gitCommit,
    node: process.version,
    startedAt,
    finishedAt: new Date().toISOString(),
    seed: runSeed(),
    transport: 'in-process',
    riskLimits,
  };
  // Under --parallel every worker writes the same run facts; the last one wins.
  writeFileSync('reports/run-metadata.json', JSON.stringify(metadata, null, 2));
});
