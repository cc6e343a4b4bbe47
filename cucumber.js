'use strict';

const os = require('node:os');

// `npm test` type-checks with `tsc --noEmit` first, so ts-node only needs to transpile.
process.env.TS_NODE_TRANSPILE_ONLY ??= 'true';

// Cucumber keeps only the last stdout formatter of a list, and both progress formatters already
// end with the summary, so exactly one of them writes to stdout.
const interactive = !process.env.CI && Boolean(process.stdout.isTTY);

const reportFiles = [
  ['json', 'reports/cucumber.json'],
  ['message', 'reports/messages.ndjson'],
];

// Scenarios about the wire itself (HTTP status codes, the WebSocket channel, the network) need it.
const inProcess = process.env.BROKER_TRANSPORT === 'in-process';
const withTransport = tags => {
  const expression = inProcess ? (tags ? `(${tags}) and not @wire-only` : 'not @wire-only') : tags;
  return expression ? { tags: expression } : {};
};

const base = {
  paths: ['features/**/*.feature'],
  requireModule: [require.resolve('./support/register-typescript.js')],
  require: ['support/**/*.ts', 'step-definitions/**/*.ts'],
  format: [interactive ? 'progress-bar' : 'progress', ...reportFiles],
  formatOptions: { snippetInterface: 'async-await' },
  strict: true,
  publish: false,
};

// The ci profile runs a worker a core: the scenarios own their ports, folders and log files, and
// scripts/run-suite.js hands every worker the run's one seed.
const CI_WORKERS = os.availableParallelism();

module.exports = {
  default: { ...base, ...withTransport('') },
  smoke: { ...base, ...withTransport('@smoke') },
  ci: { ...base, ...withTransport(''), format: ['progress', ...reportFiles], retry: 0, failFast: false, parallel: CI_WORKERS },
};
