/**
 * The suite's own speed: the whole acceptance suite over the wire, run as the ci profile runs it
 * (its feature files, step definitions and hooks, its TypeScript loader, its parallel workers),
 * timed from process start to exit, beside cucumber's floor: the same number of scenarios that do
 * nothing (one empty step each), on as many workers. Both run in a scratch folder, so the reports
 * of the last suite run (reports/) are left as they are. A dry run first fills the loader's
 * transpile cache, so the figure is a run's on unchanged sources, as a developer's rerun is.
 *
 *   SUITE_BENCH=0 npm run bench     (skip it)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BenchFigure, valueFigure } from './bench-figures';

const ROOT = join(__dirname, '..');
const CUCUMBER = join(ROOT, 'node_modules', '@cucumber', 'cucumber', 'bin', 'cucumber.js');
/** How the ci profile runs the suite: its TypeScript loader and its number of workers. */
const ciProfile = (require(join(ROOT, 'cucumber.js')) as { ci: { requireModule: string[]; parallel?: number } }).ci;
const WORKERS = ciProfile.parallel ?? 0;
/** The goal an issue set for the whole suite on 2 cores. */
export const SUITE_GOAL_US = 6_000_000;

interface Timed {
  readonly ms: number;
  readonly scenarios: number;
  readonly passed: number;
}

function run(cwd: string, args: string[]): Timed {
  const summary = join(cwd, 'summary.ndjson');
  const started = performance.now();
  const child = spawnSync(process.execPath, [CUCUMBER, ...args, '--format', `message:${summary}`, '--format', 'summary:/dev/null'], {
    cwd,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), CI: 'true' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - started;
  let scenarios = 0;
  let passed = 0;
  // A scenario passed when every one of its steps (hooks included) did.
  const statuses = new Map<string, string>();
  for (const line of readFileSync(summary, 'utf8').split('\n')) {
    if (line.startsWith('{"testCaseStarted"')) scenarios += 1;
    if (!line.startsWith('{"testStepFinished"')) continue;
    const { testStepFinished } = JSON.parse(line) as { testStepFinished: { testCaseStartedId: string; testStepResult: { status: string } } };
    const before = statuses.get(testStepFinished.testCaseStartedId);
    if (before === undefined || before === 'PASSED') statuses.set(testStepFinished.testCaseStartedId, testStepFinished.testStepResult.status);
  }
  for (const status of statuses.values()) if (status === 'PASSED') passed += 1;
  if (child.status !== 0 && passed === 0) throw new Error(`suite bench: cucumber-js exited ${child.status}: ${child.stderr.slice(-2000)}`);
  return { ms, scenarios, passed };
}

/** N scenarios of one empty step each, with its one step definition: what cucumber itself costs a scenario. */
function emptyFeatures(dir: string, scenarios: number): string[] {
  const features = join(dir, 'features');
  mkdirSync(features, { recursive: true });
  const body = Array.from({ length: scenarios }, (_, i) => `  Scenario: empty ${i + 1}\n    Given nothing happens\n`).join('\n');
  writeFileSync(join(features, 'empty.feature'), `Feature: empty scenarios\n\n${body}`);
  writeFileSync(join(dir, 'steps.js'), "const { Given } = require(process.env.CUCUMBER_MODULE);\nGiven('nothing happens', function () {});\n");
  return [join(features, 'empty.feature'), '--require', join(dir, 'steps.js')];
}

/** "one worker" for a run in the main process, else "N workers". */
function workersName(workers: number): string {
  return workers <= 1 ? 'one worker' : `${workers} workers`;
}

export async function suiteBenchmark(): Promise<{ figures: BenchFigure[]; lines: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'suite-bench-'));
  try {
    const parallel = WORKERS > 0 ? ['--parallel', String(WORKERS)] : [];
    const suiteArgs = [join(ROOT, 'features'), ...ciProfile.requireModule.flatMap(module => ['--require-module', module]), '--require', join(ROOT, 'support', '**', '*.ts'), '--require', join(ROOT, 'step-definitions', '**', '*.ts'), '--strict'];
    run(dir, [...suiteArgs, '--dry-run']);
    const suite = run(dir, [...suiteArgs, ...parallel]);
    process.env.CUCUMBER_MODULE = join(ROOT, 'node_modules', '@cucumber', 'cucumber');
    const empty = run(dir, [...emptyFeatures(join(dir, 'empty'), suite.scenarios), ...parallel]);
    const ratio = empty.ms > 0 ? suite.ms / empty.ms : 0;
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const workers = workersName(WORKERS);
    return {
      figures: [
        { ...valueFigure(`acceptance suite over the wire, ${suite.scenarios} scenarios, ${workers}`, 'us', suite.scenarios, suite.ms * 1000, { target: SUITE_GOAL_US }), floor: Math.round(empty.ms * 1000), ratio: Math.round(ratio * 100) / 100 },
        valueFigure(`cucumber floor, ${empty.scenarios} empty scenarios, ${workers}`, 'us', empty.scenarios, empty.ms * 1000),
      ],
      lines: [
        `the suite's own speed (wire, ${workers}, process start included): ${suite.scenarios} scenarios (${suite.passed} passed) in ${seconds(suite.ms)}; cucumber's floor, ${empty.scenarios} empty scenarios on ${workers}, ${seconds(empty.ms)} (${ratio.toFixed(1)}x the floor; goal 6 s)`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  suiteBenchmark().then(
    ({ lines }) => lines.forEach(line => console.log(line)),
    error => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
