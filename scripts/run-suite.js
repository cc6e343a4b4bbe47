#!/usr/bin/env node
'use strict';

// Runs the Cucumber suite with a profile, prints "N passed, N failed" from the JSON report, builds
// the risk officers' front page (reports/index.html) and, with --report, the HTML drill-down. With
// --coverage the run measures the line and branch coverage of domain/ (.c8rc.json says what and
// where). Every run merges the error paths the scenarios produced into reports/error-paths.json.
// Every worker of a run shares one seed: picked here when SEED is unset, and passed on.
//
//   node scripts/run-suite.js --profile <default|smoke|ci> [--report] [--coverage] [cucumber-js args...]

const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PROFILES = ['default', 'smoke', 'ci'];
const ROOT = path.resolve(__dirname, '..');
const REPORTS_DIR = path.join(ROOT, 'reports');
const CUCUMBER_JSON = path.join(REPORTS_DIR, 'cucumber.json');
const MESSAGES = path.join(REPORTS_DIR, 'messages.ndjson');
const HTML_INDEX = path.join(REPORTS_DIR, 'html', 'index.html');
const ERROR_PATHS_DIR = path.join(REPORTS_DIR, 'error-paths');
const RUN_METADATA_DIR = path.join(REPORTS_DIR, 'run-metadata');
const FRONT_PAGE = path.join('reports', 'index.html');
const USAGE = `usage: node scripts/run-suite.js --profile <${PROFILES.join('|')}> [--report] [--coverage] [cucumber-js args...]`;

function parseArgs(argv) {
  const options = { profile: undefined, report: false, coverage: false, passThrough: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--profile' || arg === '-p') {
      options.profile = argv[++i];
    } else if (arg.startsWith('--profile=')) {
      options.profile = arg.slice('--profile='.length);
    } else if (arg === '--report') {
      options.report = true;
    } else if (arg === '--coverage') {
      options.coverage = true;
    } else {
      options.passThrough.push(arg);
    }
  }
  return options;
}

function isScenarioPassed(scenario) {
  // Hidden hook steps count too: a failing Before or After hook fails the scenario.
  const steps = scenario.steps || [];
  return steps.every((step) => step.result !== undefined && step.result.status === 'passed');
}

function countScenarios(features) {
  let passed = 0;
  let failed = 0;
  for (const feature of features) {
    for (const element of feature.elements || []) {
      if (element.type !== 'scenario') continue;
      if (isScenarioPassed(element)) passed++;
      else failed++;
    }
  }
  return { passed, failed };
}

function readCucumberJson(file) {
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, 'utf8').trim();
  if (text === '') return undefined;
  const parsed = JSON.parse(text);
  return Array.isArray(parsed) ? parsed : undefined;
}

/** The --tags expressions given on the command line, in order. */
function commandLineTags(passThrough) {
  const tags = [];
  for (let i = 0; i < passThrough.length; i++) {
    const arg = passThrough[i];
    if (arg === '--tags' || arg === '-t') tags.push(passThrough[++i]);
    else if (arg.startsWith('--tags=')) tags.push(arg.slice('--tags='.length));
  }
  return tags.filter((tag) => tag !== undefined && tag.trim() !== '');
}

/** Joined as Cucumber joins a profile's tags and the command line's: each in parentheses, with "and". */
function joinTagExpressions(expressions) {
  const wrap = (raw) => (raw.startsWith('(') && raw.endsWith(')') ? raw : `(${raw})`);
  if (expressions.length === 0) return undefined;
  if (expressions.length === 1) return expressions[0];
  return expressions.map(wrap).join(' and ');
}

/** How the run was asked for, for the front page's header: profile, tag filter, the other arguments, the seed. */
function runRequest(profile, passThrough, seed, seedPicked) {
  // The profile's tags depend on BROKER_TRANSPORT, which this process shares with Cucumber's.
  const profileTags = require(path.join(ROOT, 'cucumber.js'))[profile].tags;
  const cliTags = commandLineTags(passThrough);
  // As Cucumber's argument parser joins repeated --tags.
  const commandLine = cliTags.reduce((memo, tag) => (memo ? `${memo} and (${tag})` : `(${tag})`), undefined);
  return {
    profile,
    tagFilter: joinTagExpressions([profileTags, commandLine].filter(Boolean)),
    ...(profileTags ? { profileTags } : {}),
    ...(commandLine ? { commandLineTags: commandLine } : {}),
    passThrough,
    seed,
    seedPicked,
  };
}

function cucumberBin() {
  const packageJsonPath = require.resolve('@cucumber/cucumber/package.json', { paths: [ROOT] });
  const { bin } = JSON.parse(fs.readFileSync(packageJsonPath, 'utf8'));
  const relative = typeof bin === 'string' ? bin : bin['cucumber-js'];
  return path.join(path.dirname(packageJsonPath), relative);
}

/** With --coverage the cucumber child runs under c8, which reports on domain/ (mapped back to the .ts sources) as it exits. */
function underCoverage(command, enabled) {
  if (!enabled) return command;
  const c8 = path.join(path.dirname(require.resolve('c8/package.json', { paths: [ROOT] })), 'bin', 'c8.js');
  return [c8, process.execPath, ...command];
}

/** The error paths each worker recorded, merged into one table; the gaps are printed. */
function mergeErrorPaths() {
  const merge = spawnSync(
    process.execPath,
    ['-r', 'ts-node/register', path.join('scripts', 'error-paths.ts')],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } },
  );
  return exitCodeOf(merge);
}

function exitCodeOf(result) {
  if (result.error) {
    console.error(`run-suite: could not start ${result.error.path || 'child process'}: ${result.error.message}`);
    return 1;
  }
  if (result.signal) return 128 + (os.constants.signals[result.signal] || 0);
  return result.status === null ? 1 : result.status;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!PROFILES.includes(options.profile)) {
    console.error(options.profile === undefined ? 'run-suite: --profile is required' : `run-suite: unknown profile "${options.profile}"`);
    console.error(USAGE);
    return 2;
  }

  const env = { ...process.env };
  if (env.SEED !== undefined && !/^\d+$/.test(env.SEED)) {
    console.error(`run-suite: SEED must be a whole number, not "${env.SEED}"`);
    return 2;
  }
  const seedPicked = env.SEED === undefined;
  // One seed for the run: each --parallel worker would otherwise pick its own.
  if (seedPicked) env.SEED = String(crypto.randomInt(2 ** 31));

  fs.mkdirSync(REPORTS_DIR, { recursive: true });
  // A JSON report or messages left by an earlier run must never be counted as this run's result.
  fs.rmSync(CUCUMBER_JSON, { force: true });
  fs.rmSync(MESSAGES, { force: true });
  fs.rmSync(RUN_METADATA_DIR, { recursive: true, force: true });
  fs.rmSync(ERROR_PATHS_DIR, { recursive: true, force: true });
  fs.mkdirSync(RUN_METADATA_DIR, { recursive: true });
  const request = runRequest(options.profile, options.passThrough, Number(env.SEED), seedPicked);
  fs.writeFileSync(path.join(RUN_METADATA_DIR, 'run.json'), JSON.stringify(request, null, 2));

  const cucumber = spawnSync(
    process.execPath,
    underCoverage([cucumberBin(), '--profile', options.profile, ...options.passThrough], options.coverage),
    { cwd: ROOT, stdio: 'inherit', env },
  );
  const cucumberExit = exitCodeOf(cucumber);

  let features;
  try {
    features = readCucumberJson(CUCUMBER_JSON);
  } catch (error) {
    console.error(`run-suite: ${path.relative(ROOT, CUCUMBER_JSON)} is not valid JSON: ${error.message}`);
  }
  if (features === undefined) {
    console.error(`run-suite: no scenario results in ${path.relative(ROOT, CUCUMBER_JSON)} (cucumber-js exited with ${cucumberExit})`);
  }

  const { passed, failed } = countScenarios(features || []);
  console.log('');
  console.log(`${passed} passed, ${failed} failed`);

  let exitCode = cucumberExit;
  if (exitCode === 0 && (features === undefined || passed + failed === 0)) {
    console.error('run-suite: no scenarios ran');
    exitCode = 1;
  }
  // Strict mode still exits 0 for skipped scenarios; the line above counts them as failed.
  if (exitCode === 0 && failed > 0) exitCode = 1;

  if (features !== undefined && fs.existsSync(ERROR_PATHS_DIR)) {
    const mergeExit = mergeErrorPaths();
    if (mergeExit !== 0) {
      console.error(`run-suite: merging the error paths failed (exit ${mergeExit})`);
      if (exitCode === 0) exitCode = mergeExit;
    }
  }

  if (options.report && features !== undefined) {
    const report = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register', path.join('scripts', 'report.ts')],
      { cwd: ROOT, stdio: 'inherit', env: { ...env, TS_NODE_TRANSPILE_ONLY: 'true' } },
    );
    const reportExit = exitCodeOf(report);
    if (reportExit === 0) {
      console.log(`HTML report: ${HTML_INDEX}`);
    } else {
      console.error(`run-suite: the HTML report failed (exit ${reportExit})`);
      if (exitCode === 0) exitCode = reportExit;
    }
  }

  // After every run: exit 1 says a section with a feature file lacks a scenario for a planned test
  // case (the page is written); anything else, that no page could be built.
  if (fs.existsSync(MESSAGES)) {
    const frontPage = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register', path.join('scripts', 'front-page.ts')],
      { cwd: ROOT, stdio: 'inherit', env: { ...env, TS_NODE_TRANSPILE_ONLY: 'true' } },
    );
    const frontPageExit = exitCodeOf(frontPage);
    if (frontPageExit === 0 || frontPageExit === 1) console.log(`Front page: ${FRONT_PAGE}`);
    if (frontPageExit === 1) console.error('run-suite: planned test cases lack a scenario (listed above)');
    else if (frontPageExit !== 0) console.error(`run-suite: the front page failed (exit ${frontPageExit})`);
    if (frontPageExit !== 0 && exitCode === 0) exitCode = 1;
  } else {
    console.error(`run-suite: no ${path.relative(ROOT, MESSAGES)}: no front page for this run`);
    if (exitCode === 0) exitCode = 1;
  }

  return exitCode;
}

if (require.main === module) {
  process.exitCode = main();
}

module.exports = { commandLineTags, countScenarios, isScenarioPassed, joinTagExpressions, parseArgs };
