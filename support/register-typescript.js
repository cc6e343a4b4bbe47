'use strict';

/**
 * Loads the suite's TypeScript as `ts-node --transpile-only` does (one file at a time, no type
 * check: `npm run typecheck` does that), but keeps each file's JavaScript in a cache keyed by its
 * source, the compiler's version and tsconfig.json. The compiler costs about 3 s of CPU for the
 * suite's files, and Cucumber loads them once in the coordinator and again in every parallel
 * worker: with the cache, a run pays it only for the files that changed since the last one.
 *
 *   SUITE_TRANSPILE_CACHE=<dir>   where the cache lives (default: a folder in the OS's temp dir)
 *   SUITE_TRANSPILE_CACHE=off     compile every file, every time
 */

const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const TSCONFIG = path.join(ROOT, 'tsconfig.json');
const typescriptPackage = require.resolve('typescript/package.json', { paths: [ROOT] });

const setting = process.env.SUITE_TRANSPILE_CACHE;
const cacheDir = setting === 'off' ? null : setting || path.join(os.tmpdir(), 'trading-risk-spec-transpile');

// What the output depends on besides the file itself: a new compiler or new options make every entry stale.
const compilerKey = crypto
  .createHash('sha256')
  .update(JSON.parse(fs.readFileSync(typescriptPackage, 'utf8')).version)
  .update('\0')
  .update(fs.readFileSync(TSCONFIG))
  .digest('hex');

let compiler;
/** The compiler and the project's options, loaded at the first file not in the cache. */
function typescript() {
  if (compiler) return compiler;
  const ts = require(require.resolve('typescript', { paths: [ROOT] }));
  const config = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  // The map travels inside the output, so Node maps stack traces and coverage back to the .ts lines.
  const compilerOptions = { ...options, sourceMap: false, inlineSourceMap: true, inlineSources: true, declaration: false, noEmit: false, module: ts.ModuleKind.CommonJS };
  compiler = { ts, compilerOptions };
  return compiler;
}

function transpile(source, filename) {
  const { ts, compilerOptions } = typescript();
  const { outputText, diagnostics } = ts.transpileModule(source, { fileName: filename, compilerOptions, reportDiagnostics: true });
  const errors = (diagnostics || []).filter(d => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) throw new Error(`${filename}: ${errors.map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`);
  return outputText;
}

function cachedTranspile(source, filename) {
  if (cacheDir === null) return transpile(source, filename);
  const key = crypto.createHash('sha256').update(compilerKey).update('\0').update(filename).update('\0').update(source).digest('hex');
  const entry = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(entry, 'utf8');
  } catch {
    // Not cached yet.
  }
  const output = transpile(source, filename);
  fs.mkdirSync(cacheDir, { recursive: true });
  // Written aside and renamed, so a parallel worker never reads half an entry.
  const partial = `${entry}.${process.pid}.tmp`;
  fs.writeFileSync(partial, output);
  fs.renameSync(partial, entry);
  return output;
}

process.setSourceMapsEnabled(true);

Module._extensions['.ts'] = function loadTypeScript(module, filename) {
  if (filename.includes(`${path.sep}node_modules${path.sep}`)) throw new Error(`${filename}: TypeScript inside node_modules is not the suite's to compile`);
  module._compile(cachedTranspile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
