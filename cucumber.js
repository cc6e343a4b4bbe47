'use strict';

// `npm test` type-checks with `tsc --noEmit` first, so ts-node only needs to transpile.
process.env.TS_NODE_TRANSPILE_ONLY ??= 'true';

// Cucumber keeps only the last stdout formatter of a list, and both progress formatters already
// end with the summary, so exactly one of them writes to stdout.
const interactive = !process.env.CI && Boolean(process.stdout.isTTY);

const reportFiles = [
  ['json', 'reports/cucumber.json'],
  ['message', 'reports/messages.ndjson'],
];

const base = {
  paths: ['features/**/*.feature'],
  requireModule: ['ts-node/register'],
  require: ['support/**/*.ts', 'step-definitions/**/*.ts'],
  format: [interactive ? 'progress-bar' : 'progress', ...reportFiles],
  formatOptions: { snippetInterface: 'async-await' },
  strict: true,
  publish: false,
};

module.exports = {
  default: base,
  smoke: { ...base, tags: '@smoke' },
  ci: { ...base, format: ['progress', ...reportFiles], retry: 0, failFast: false },
};
