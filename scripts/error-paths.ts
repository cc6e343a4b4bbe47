// Merges the error paths each Cucumber worker recorded into reports/error-paths.json: every error
// kind and code of the domain, the scenarios that produced it, and the ones no scenario produces.
//
//   node -r ts-node/register scripts/error-paths.ts

import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_LISTS, ERROR_PATHS_DIR, ERROR_PATH_CATALOGUE } from '../support/error-paths';
import type { CatalogueEntry, CodeKind, WorkerErrorPaths } from '../support/error-paths';

export interface ErrorPathRow extends CatalogueEntry {
  /** The scenarios in which an event or an error carried the code, sorted. */
  readonly scenarios: string[];
  /** What carried it: event types, or "raised error". */
  readonly carriedBy: string[];
}

export interface ErrorPathTable {
  readonly codes: ErrorPathRow[];
  readonly produced: number;
  readonly total: number;
  readonly percent: number;
  readonly byKind: Record<CodeKind, { produced: number; total: number }>;
  /** Codes a worker saw that none of the domain's lists has: a list out of date, never counted. */
  readonly unlisted: { kind: CodeKind; code: string }[];
}

const percentOf = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10);
const keyOf = (kind: string, code: string) => `${kind}|${code}`;

export function mergeErrorPaths(reports: readonly WorkerErrorPaths[], catalogue: readonly CatalogueEntry[] = ERROR_PATH_CATALOGUE): ErrorPathTable {
  const seen = new Map<string, { scenarios: Set<string>; carriedBy: Set<string> }>();
  for (const report of reports) {
    for (const { scenario, codes } of report.scenarios) {
      for (const { kind, code, by } of codes) {
        const entry = seen.get(keyOf(kind, code)) ?? { scenarios: new Set<string>(), carriedBy: new Set<string>() };
        entry.scenarios.add(scenario);
        entry.carriedBy.add(by);
        seen.set(keyOf(kind, code), entry);
      }
    }
  }
  const codes = catalogue.map(entry => {
    const found = seen.get(keyOf(entry.kind, entry.code));
    return { ...entry, scenarios: [...(found?.scenarios ?? [])].sort(), carriedBy: [...(found?.carriedBy ?? [])].sort() };
  });
  const listed = new Set(catalogue.map(e => keyOf(e.kind, e.code)));
  const unlisted = [...seen.keys()].filter(key => !listed.has(key)).sort().map(key => {
    const [kind, code] = key.split('|') as [CodeKind, string];
    return { kind, code };
  });
  const byKind = Object.fromEntries(
    CODE_LISTS.map(({ kind }) => {
      const rows = codes.filter(row => row.kind === kind);
      return [kind, { produced: rows.filter(row => row.scenarios.length > 0).length, total: rows.length }];
    }),
  ) as ErrorPathTable['byKind'];
  const produced = codes.filter(row => row.scenarios.length > 0).length;
  return { codes, produced, total: codes.length, percent: percentOf(produced, codes.length), byKind, unlisted };
}

export function readWorkerReports(dir: string): WorkerErrorPaths[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter(name => /^worker-.+\.json$/.test(name))
    .sort()
    .map(name => JSON.parse(readFileSync(join(dir, name), 'utf8')) as WorkerErrorPaths);
}

/** The summary and the gaps, as the console shows them after a run. */
export function describeTable(table: ErrorPathTable): string[] {
  const lines = [`error paths: ${table.produced} of ${table.total} codes produced by a scenario (${table.percent.toFixed(1)} %)`];
  for (const [kind, { produced, total }] of Object.entries(table.byKind)) lines.push(`  ${kind}: ${produced} of ${total}`);
  const gaps = table.codes.filter(row => row.scenarios.length === 0);
  if (gaps.length > 0) {
    lines.push(`gaps (no scenario produces them):`);
    for (const gap of gaps) lines.push(`  ${gap.kind} ${gap.code}: ${gap.meaning}`);
  }
  for (const { kind, code } of table.unlisted) lines.push(`warning: ${kind} ${code} was carried in a scenario but is in none of the domain's lists`);
  return lines;
}

function main(): number {
  const reports = readWorkerReports(ERROR_PATHS_DIR);
  if (reports.length === 0) {
    console.error(`error-paths: no worker reports in ${ERROR_PATHS_DIR} (did the suite run?)`);
    return 1;
  }
  const table = mergeErrorPaths(reports);
  const file = join('reports', 'error-paths.json');
  writeFileSync(file, JSON.stringify(table, null, 2));
  for (const line of describeTable(table)) console.log(line);
  console.log(`error-path table: ${file}`);
  return 0;
}

if (require.main === module) process.exitCode = main();
