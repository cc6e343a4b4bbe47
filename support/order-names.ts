import type { GherkinDocument, Pickle } from '@cucumber/messages';

/**
 * Client order ids that tell scenarios apart in the living documentation: the plan's code of the
 * scenario's test case and the line of the scenario (or of its Examples row) in its feature file,
 * so IF217-000001 is the first order of the scenario at line 217 of the order-flow feature.
 * Stable from run to run: it names where the scenario is written, not when it ran.
 */
export function orderPrefixOf(pickle: Pick<Pickle, 'tags' | 'astNodeIds'>, document: GherkinDocument | undefined): string {
  const code = pickle.tags.map(tag => /^@TC-([A-Z]+)-\d+$/.exec(tag.name)?.[1]).find(c => c !== undefined) ?? 'CO';
  const line = document ? lineOf(document, pickle.astNodeIds) : undefined;
  return line === undefined ? code : `${code}${line}`;
}

interface Located {
  readonly id: string;
  readonly location: { readonly line: number };
}

function lineOf(document: GherkinDocument, astNodeIds: readonly string[]): number | undefined {
  const lines = new Map<string, number>();
  const note = (node: Located) => lines.set(node.id, node.location.line);
  for (const child of document.feature?.children ?? []) {
    const scenarios = child.rule ? child.rule.children.map(c => c.scenario) : [child.scenario];
    for (const scenario of scenarios) {
      if (!scenario) continue;
      note(scenario);
      for (const examples of scenario.examples) for (const row of examples.tableBody) note(row);
    }
  }
  // An outline's pickle names the scenario, then its Examples row: the row is the more precise line.
  const known = astNodeIds.map(id => lines.get(id)).filter((l): l is number => l !== undefined);
  return known.at(-1);
}
