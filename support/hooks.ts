import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { After, AfterAll, AfterStep, Before, BeforeAll, Status, setWorldConstructor } from '@cucumber/cucumber';
import { DEFAULT_SETTINGS, settingLabel } from './sut';
import { TradingWorld } from './world';
import { limitsInForceHtml, marketStateHtml, timelineSummaryHtml } from './evidence';
import type { MarketStateRow, RecordedBy } from './evidence';
import type { EventFeed, SystemUnderTest } from './sut';
import { stepEvidenceHtml } from './step-evidence';
import { EVIDENCE_INDEX_MEDIA_TYPE, evidenceIndex } from './evidence-index';
import { runSeed } from './run-context';
import { orderPrefixOf } from './order-names';
import { brokerTransport } from './broker-connection';

// Registered here, not in world.ts, so a unit test can build a TradingWorld outside a Cucumber run.
setWorldConstructor(TradingWorld);

const startedAt = new Date().toISOString();
/** For each setting, how many scenarios ended under each value: the limits actually in force. */
const limitsInForce = new Map<string, Map<string, number>>();

function recordLimitsInForce(settings: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(settings)) {
    const label = settingLabel(key);
    const counts = limitsInForce.get(label) ?? new Map<string, number>();
    counts.set(value, (counts.get(value) ?? 0) + 1);
    limitsInForce.set(label, counts);
  }
}

BeforeAll(function () {
  console.log(`seed ${runSeed()} (replay with SEED=${runSeed()})`);
});

/** Listening servers and sockets of this process; a scenario must close every one it opened. */
const tcpHandles = () => process.getActiveResourcesInfo().filter(r => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;
let tcpHandlesBefore = 0;

/** A closed server releases its handle on a later turn of the event loop: give it a few turns, then count. */
async function expectNoSocketLeftOpen(before: number): Promise<void> {
  for (let turn = 0; turn < 50 && tcpHandles() > before; turn += 1) await new Promise(resolve => setImmediate(resolve));
  const left = tcpHandles() - before;
  if (left > 0) throw new Error(`the scenario left ${left} TCP server(s) or socket(s) open: ${JSON.stringify(process.getActiveResourcesInfo())}`);
}

/** The system's market for every symbol it has a mark for (none without market data). */
function marketViews(system: SystemUnderTest): MarketStateRow[] {
  return [...system.state.marks.keys()].map(symbol => system.marketView(symbol)).filter((view): view is NonNullable<typeof view> => view !== null);
}

/** The front page reads this attachment from the run's messages; the drill-down leaves it out (scripts/reporter-input.ts). */

/**
 * Which part of a scenario recorded which events: each step's evidence goes on that step's row of
 * the report, and the After row's timeline says where every event came from.
 */
class EvidenceTrail {
  private mark = 0;
  readonly parts: RecordedBy[] = [];

  /** Attaches the evidence of the events recorded since the last call, and notes who recorded them. */
  take(feed: EventFeed, by: string, attach: (html: string) => void): void {
    const latest = feed.mark();
    if (latest < this.mark) {
      // A log rebuilt from the broker numbers its events afresh: what was noted was of the old log.
      this.mark = 0;
      this.parts.length = 0;
    }
    if (latest === this.mark) return;
    const html = stepEvidenceHtml(feed.all(), this.mark);
    if (html) attach(html);
    this.parts.push({ by, after: this.mark, upTo: latest });
    this.mark = latest;
  }
}

const trails = new WeakMap<TradingWorld, EvidenceTrail>();

function trailOf(world: TradingWorld): EvidenceTrail {
  let trail = trails.get(world);
  if (!trail) trails.set(world, (trail = new EvidenceTrail()));
  return trail;
}

/** A scenario that needs a mark to reach the system between two orders sent back to back takes its marks from the desk, not the venue's feed. */
const DESK_MARKS = '@desk-marks';
/** Plan 4.5's scenarios run the system's own reconciliation: at start-up, after a reconnect, on its schedule. */
const RECONCILIATION = '@reconciliation';

Before(async function (this: TradingWorld, { pickle, gherkinDocument }) {
  tcpHandlesBefore = tcpHandles();
  this.context.nameOrders(orderPrefixOf(pickle, gherkinDocument));
  if (pickle.tags.some(tag => tag.name === DESK_MARKS)) this.context.takeMarketDataFrom('desk');
  if (pickle.tags.some(tag => tag.name === RECONCILIATION)) this.context.reconcile('automatic');
  await this.context.connectBroker();
  // A reconciliation at start-up is evidence of the scenario's start, before any step.
  if (this.context.session.isRunning) trailOf(this).take(this.context.system.events, 'start-up, before the first step', html => this.attach(html, 'text/html'));
});

AfterStep(function (this: TradingWorld, { pickleStep }) {
  if (this.context.session.isRunning) trailOf(this).take(this.context.system.events, pickleStep.text, html => this.attach(html, 'text/html'));
});

After(async function (this: TradingWorld, { result }) {
  const { context } = this;
  try {
    if (context.session.isRunning) {
      const events = context.system.events.all();
      const settings = context.system.state.settings;
      recordLimitsInForce(settings.snapshot());
      this.attach(JSON.stringify(evidenceIndex(events)), EVIDENCE_INDEX_MEDIA_TYPE);
      // The steps carry their own evidence; the After row has what came after the last step, and the whole scenario's summary.
      const trail = trailOf(this);
      trail.take(context.system.events, 'after the last step', html => this.attach(html, 'text/html'));
      const marketState = marketStateHtml(marketViews(context.system));
      if (marketState) this.attach(marketState, 'text/html');
      this.attach(timelineSummaryHtml(events, trail.parts), 'text/html');
      this.attach(limitsInForceHtml(settings.version, settings.snapshot(), DEFAULT_SETTINGS), 'text/html');
      if (result?.status === Status.FAILED) {
        this.attach(JSON.stringify(context.system.counters(), null, 2), 'application/json');
        if (context.logLines.length > 0) this.attach(context.logLines.join('\n'), 'text/plain');
      }
    }
  } finally {
    await context.dispose();
    await expectNoSocketLeftOpen(tcpHandlesBefore);
  }
  // A refusal no Then looked at may not be the one the Gherkin speaks of: the scenario has not shown what it claims.
  const unchecked = context.errors.unchecked();
  if (unchecked.length > 0 && result?.status === Status.PASSED) {
    throw new Error(`the scenario passed without checking ${unchecked.length === 1 ? 'an error' : `${unchecked.length} errors`} its steps raised:\n  ${unchecked.join('\n  ')}`);
  }
});

AfterAll(function () {
  mkdirSync('reports/run-metadata', { recursive: true });
  let gitCommit = 'unknown';
  let gitDirty = false;
  try {
    gitCommit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    gitDirty = execSync('git status --porcelain --untracked-files=no', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() !== '';
  } catch {
    // Not a git checkout: the report says "unknown".
  }
  const defaultLimits = Object.fromEntries(Object.entries(DEFAULT_SETTINGS).map(([key, value]) => [settingLabel(key), value]));
  const inForce = Object.fromEntries([...limitsInForce.entries()].map(([label, counts]) => [label, Object.fromEntries(counts)]));
  const metadata = {
    version: (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version,
    gitCommit: gitCommit + (gitDirty ? '-dirty' : ''),
    node: process.version,
    startedAt,
    finishedAt: new Date().toISOString(),
    seed: runSeed(),
    transport: brokerTransport(),
    defaultLimits,
    limitsInForce: inForce,
  };
  // Under --parallel each worker writes its own file; the report adds them up.
  writeFileSync(`reports/run-metadata/worker-${process.env.CUCUMBER_WORKER_ID ?? 'main'}.json`, JSON.stringify(metadata, null, 2));
});
