import { Before } from '@cucumber/cucumber';
import { testCasesOfTags } from './plan-catalogue';

// A scenario that claims a test case the plan does not have proves nothing the plan asks for: it fails before it runs.
Before(function ({ pickle }) {
  const { unknown } = testCasesOfTags(pickle.tags.map(tag => tag.name));
  if (unknown.length > 0) {
    throw new Error(`the scenario is tagged with ${unknown.map(id => `@${id}`).join(', ')}, which the plan's catalogue (support/plan-catalogue.ts) does not list`);
  }
});
