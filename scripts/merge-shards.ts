/**
 * Merges the outputs of a suite split across machines (cucumber's --shard i/n) into one report.
 * Each shard's job keeps its reports/ folder (cucumber.json, messages.ndjson, run-metadata/,
 * error-paths/) as one sub-folder of a shards folder; this script writes the merged
 * reports/cucumber.json, run-metadata/ and error-paths/, and hands every shard's messages to the
 * front page. Then run the report as for a single run.
 *
 *   npm run report -- --shards shards/      (shards/1/cucumber.json, shards/1/messages.ndjson, ...)
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface FeatureResult {
  readonly uri: string;
  readonly elements?: unknown[];
  readonly [key: string]: unknown;
}

export interface MergedShards {
  readonly shards: readonly string[];
  readonly messages: readonly string[];
  readonly scenarios: number;
}

/** A feature split across shards becomes one feature with every shard's scenarios, in shard order. */
export function mergeCucumberJson(shardResults: readonly (readonly FeatureResult[])[]): FeatureResult[] {
  const byUri = new Map<string, FeatureResult & { elements: unknown[] }>();
  for (const features of shardResults) {
    for (const feature of features) {
      const known = byUri.get(feature.uri);
      if (known) known.elements.push(...(feature.elements ?? []));
      else byUri.set(feature.uri, { ...feature, elements: [...(feature.elements ?? [])] });
    }
  }
  return [...byUri.values()];
}

function copyPrefixed(from: string, to: string, prefix: string, keep: (name: string) => boolean): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from).filter(keep)) copyFileSync(join(from, name), join(to, name === 'run.json' ? name : `${name.replace(/^worker-/, `worker-shard${prefix}-`)}`));
}

export function mergeShards(shardsDir: string, reportsDir: string): MergedShards {
  const shards = readdirSync(shardsDir)
    .filter(name => statSync(join(shardsDir, name)).isDirectory())
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const withResults = shards.filter(name => existsSync(join(shardsDir, name, 'cucumber.json')) && existsSync(join(shardsDir, name, 'messages.ndjson')));
  const incomplete = shards.filter(name => !withResults.includes(name));
  if (withResults.length === 0) throw new Error(`no shard in ${shardsDir} holds cucumber.json and messages.ndjson`);
  if (incomplete.length > 0) throw new Error(`shard folder(s) ${incomplete.join(', ')} in ${shardsDir} lack cucumber.json or messages.ndjson: a report without them would say less than the run did`);

  mkdirSync(reportsDir, { recursive: true });
  for (const dir of ['run-metadata', 'error-paths']) rmSync(join(reportsDir, dir), { recursive: true, force: true });
  const results = withResults.map(name => JSON.parse(readFileSync(join(shardsDir, name, 'cucumber.json'), 'utf8')) as FeatureResult[]);
  const merged = mergeCucumberJson(results);
  writeFileSync(join(reportsDir, 'cucumber.json'), JSON.stringify(merged));
  withResults.forEach((name, i) => {
    // The first shard's request stands for the run's (the same command, another --shard).
    copyPrefixed(join(shardsDir, name, 'run-metadata'), join(reportsDir, 'run-metadata'), name, file => file.endsWith('.json') && (file !== 'run.json' || i === 0));
    copyPrefixed(join(shardsDir, name, 'error-paths'), join(reportsDir, 'error-paths'), name, file => /^worker-.+\.json$/.test(file));
  });
  return {
    shards: withResults,
    messages: withResults.map(name => join(shardsDir, name, 'messages.ndjson')),
    scenarios: merged.reduce((n, feature) => n + (feature.elements ?? []).length, 0),
  };
}
