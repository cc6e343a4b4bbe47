/**
 * The living documentation from results already on disk: the drill-down (scripts/report.ts) and the
 * front page (scripts/front-page.ts). With --shards, the outputs of a suite split across machines
 * are merged first (scripts/merge-shards.ts), so one report covers every shard.
 *
 *   npm run report                       the last run's reports/
 *   npm run report -- --shards shards/   one sub-folder a shard, each a copy of that shard's reports/
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mergeShards } from './merge-shards';

const ROOT = resolve(__dirname, '..');
const REPORTS = join(ROOT, 'reports');

function run(script: string, args: readonly string[] = []): number {
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register', join('scripts', script), ...args], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } });
  return result.status ?? 1;
}

function main(argv: readonly string[]): number {
  const at = argv.indexOf('--shards');
  let messages = [join(REPORTS, 'messages.ndjson')];
  if (at >= 0) {
    const dir = argv[at + 1];
    if (!dir || !existsSync(dir)) {
      console.error(`report: --shards needs a folder of shard outputs${dir ? `; ${dir} does not exist` : ''}`);
      return 2;
    }
    const merged = mergeShards(resolve(dir), REPORTS);
    messages = merged.messages.map(file => resolve(file));
    console.log(`report: merged ${merged.shards.length} shard(s) (${merged.shards.join(', ')}), ${merged.scenarios} scenarios`);
    if (existsSync(join(REPORTS, 'error-paths'))) {
      const errorPaths = run('error-paths.ts');
      if (errorPaths !== 0) return errorPaths;
    }
  }
  const drillDown = run('report.ts');
  if (drillDown !== 0) return drillDown;
  const frontPage = run('front-page.ts', ['--messages', messages.join(',')]);
  console.log(`Front page: ${join('reports', 'index.html')}`);
  return frontPage;
}

process.exitCode = main(process.argv.slice(2));
