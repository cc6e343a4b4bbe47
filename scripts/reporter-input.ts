/**
 * The Cucumber JSON as the drill-down report (scripts/report.ts) reads it. The legacy JSON
 * formatter drops what a risk officer navigates the plan by, and keeps what only the front page
 * reads, so before the reporter sees it:
 * - each feature's id is its file's basename, so its page is html/features/<basename>.html every
 *   run and the front page's links reach it;
 * - each scenario's name carries its Rule ("4.3.1 Broker communication failures") and, for an
 *   example of an outline, its Examples' name and row, read from the feature file;
 * - the evidence index (data for the front page, read from messages.ndjson) is left out.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AstBuilder, GherkinClassicTokenMatcher, Parser } from '@cucumber/gherkin';
import { IdGenerator } from '@cucumber/messages';
import type { GherkinDocument, FeatureChild, RuleChild } from '@cucumber/messages';
import { EVIDENCE_INDEX_MEDIA_TYPE, featureBasename } from './front-page';

/** The parts of Cucumber's legacy JSON this transform reads or changes; everything else passes through. */
export interface JsonEmbedding {
  readonly mime_type?: string;
  readonly media?: { readonly type?: string };
  readonly data: string;
}
export interface JsonStep {
  readonly keyword: string;
  readonly embeddings?: readonly JsonEmbedding[];
  readonly [key: string]: unknown;
}
export interface JsonElement {
  readonly name: string;
  readonly line: number;
  readonly type?: string;
  readonly steps: readonly JsonStep[];
  readonly [key: string]: unknown;
}
export interface JsonFeature {
  readonly id: string;
  readonly uri: string;
  readonly name: string;
  readonly elements?: readonly JsonElement[];
  readonly [key: string]: unknown;
}

/** Where a line of a feature file sits in the plan: its Rule and, for an example row, its Examples. */
export interface PlanPlace {
  readonly rule?: string;
  /** 'Examples "a reset the channel sees at once", row 1', or 'Examples, row 2' for a block without a name. */
  readonly examples?: string;
}

/** For each scenario line and example row line of a feature: the Rule and the Examples it belongs to. */
export function planPlaces(document: GherkinDocument): Map<number, PlanPlace> {
  const places = new Map<number, PlanPlace>();
  const visit = (children: readonly (FeatureChild | RuleChild)[], rule?: string) => {
    for (const child of children) {
      if ('rule' in child && child.rule) visit(child.rule.children, child.rule.name.trim());
      const scenario = child.scenario;
      if (!scenario) continue;
      places.set(scenario.location.line, rule ? { rule } : {});
      for (const examples of scenario.examples) {
        const keyword = examples.keyword.trim();
        const title = examples.name.trim() ? `${keyword} "${examples.name.trim()}"` : keyword;
        examples.tableBody.forEach((row, r) => places.set(row.location.line, { ...(rule ? { rule } : {}), examples: `${title}, row ${r + 1}` }));
      }
    }
  };
  visit(document.feature?.children ?? []);
  return places;
}

export function parseFeature(text: string, uri: string): GherkinDocument {
  const parser = new Parser(new AstBuilder(IdGenerator.uuid()), new GherkinClassicTokenMatcher());
  try {
    return parser.parse(text);
  } catch (error) {
    throw new Error(`reporter input: ${uri} does not parse: ${(error as Error).message}`);
  }
}

/** "4.3.3 Recovery from broker errors — The user channel recovers by itself after a reset — Examples "...", row 1" */
export function placedName(name: string, place: PlanPlace | undefined): string {
  return [place?.rule, name, place?.examples].filter((part): part is string => Boolean(part)).join(' — ');
}

function isEvidenceIndex(embedding: JsonEmbedding): boolean {
  return embedding.mime_type === EVIDENCE_INDEX_MEDIA_TYPE || embedding.media?.type === EVIDENCE_INDEX_MEDIA_TYPE;
}

/**
 * The features as the reporter should see them. placesOf gives a feature's plan places by its uri
 * (undefined where the file cannot be read: the names stay as Cucumber wrote them).
 */
export function reporterInput(features: readonly JsonFeature[], placesOf: (uri: string) => Map<number, PlanPlace> | undefined): JsonFeature[] {
  const pages = new Map<string, string>();
  return oneEntryPerFile(features).map(feature => {
    // The reporter replaces anything outside [A-Za-z0-9_-] in the id; the page name must survive that unchanged.
    const id = featureBasename(feature.uri);
    if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`reporter input: ${feature.uri}: a feature file's name must be letters, digits, "-" and "_" to name its page`);
    const other = pages.get(id);
    if (other !== undefined && other !== feature.uri) throw new Error(`reporter input: ${other} and ${feature.uri} would both be html/features/${id}.html`);
    pages.set(id, feature.uri);
    const places = placesOf(feature.uri);
    const tablesShown = new Set<string>();
    const elements = feature.elements?.map(element => ({
      ...element,
      // A background's name is the Background's own; the plan's places are for scenarios.
      name: element.type === 'background' ? element.name : placedName(element.name, places?.get(element.line)),
      steps: element.steps.map(step => onceShown(step.embeddings ? { ...step, embeddings: step.embeddings.filter(e => !isEvidenceIndex(e)) } : step, tablesShown)),
    }));
    return { ...feature, id, ...(elements ? { elements } : {}) };
  });
}

/**
 * A step's table is shown where the page first shows that step with that table: a Background's
 * market and limits, or an Outline's table its rows share, are the same in every scenario that runs
 * them, and repeated they were a third of a page. Later copies say where the table is.
 */
export function onceShown(step: JsonStep, shown: Set<string>): JsonStep {
  const args = step.arguments;
  if (!Array.isArray(args) || args.length === 0 || typeof step.line !== 'number') return step;
  const key = `${step.line}\u0000${JSON.stringify(args)}`;
  if (!shown.has(key)) {
    shown.add(key);
    return step;
  }
  return { ...step, arguments: [], name: `${String(step.name ?? '')} (the same table as where this page first shows this step)` };
}

/** One page a feature file: a feature that came in more than once (results put together by hand) has all its scenarios on it. */
function oneEntryPerFile(features: readonly JsonFeature[]): JsonFeature[] {
  const byUri = new Map<string, JsonFeature>();
  for (const feature of features) {
    const known = byUri.get(feature.uri);
    byUri.set(feature.uri, known ? { ...known, elements: [...(known.elements ?? []), ...(feature.elements ?? [])] } : feature);
  }
  return [...byUri.values()];
}

/** The plan places of the feature files under root, parsed once each. */
export function placesFromFiles(root: string): (uri: string) => Map<number, PlanPlace> | undefined {
  const cache = new Map<string, Map<number, PlanPlace> | undefined>();
  return uri => {
    if (!cache.has(uri)) {
      const file = path.resolve(root, uri);
      if (!existsSync(file)) {
        console.warn(`reporter input: ${uri} is not in ${root}; its scenarios keep the names Cucumber gave them`);
        cache.set(uri, undefined);
      } else {
        cache.set(uri, planPlaces(parseFeature(readFileSync(file, 'utf8'), uri)));
      }
    }
    return cache.get(uri);
  };
}
