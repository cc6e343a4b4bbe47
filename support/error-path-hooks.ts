import { join } from 'node:path';
import { After, Before, type ITestCaseHookParameter } from '@cucumber/cucumber';
import { TradingWorld } from './world';
import { CarriedCode, ERROR_PATHS_DIR, ErrorPathCollector, codesCarriedBy, codesOfRaisedError } from './error-paths';

// Its own file, so the error-path table is one hook to read and one to remove.
const worker = process.env.CUCUMBER_WORKER_ID ?? 'main';
const collector = new ErrorPathCollector(join(ERROR_PATHS_DIR, `worker-${worker}.json`), worker);

/** The codes each scenario's events carried, gathered as they are appended: the system may be down (or disposed) by the last After. */
const carriedInScenario = new WeakMap<TradingWorld, CarriedCode[]>();

/** A scenario by its test case id and name, as the plan's catalogue and the report name it. */
function scenarioName(pickle: ITestCaseHookParameter['pickle']): string {
  const testCase = pickle.tags.map(tag => tag.name).find(name => name.startsWith('@TC-'));
  return testCase ? `${testCase.slice(1)} ${pickle.name}` : `${pickle.uri}: ${pickle.name}`;
}

Before(function (this: TradingWorld) {
  const carried: CarriedCode[] = [];
  carriedInScenario.set(this, carried);
  // Every instance the scenario starts tells the session of each event it appends, restarts included.
  this.context.session.onEvent(event => {
    try {
      carried.push(...codesCarriedBy(event));
    } catch {
      // Reading an event for the table must never fail the scenario; a payload it cannot read carries nothing.
    }
  });
});

After(function (this: TradingWorld, { pickle }) {
  const carried = [...(carriedInScenario.get(this) ?? []), ...this.context.errors.all().flatMap(codesOfRaisedError)];
  collector.record(scenarioName(pickle), carried);
  collector.write();
});
