/**
 * The plan's catalogue (phase 4 integration test plan): its 81 test cases by section and subsection,
 * so a clone needs nothing beside it. A scenario tagged with an id not listed here fails the run;
 * the living documentation's traceability matrix has a row for every one of them.
 */

export interface PlanTestCase {
  readonly id: string;
  readonly title: string;
}

export interface PlanSubsection {
  readonly id: string;
  readonly title: string;
  readonly testCases: readonly PlanTestCase[];
}

export interface PlanSection {
  readonly id: string;
  readonly title: string;
  /** The feature file that holds the section's scenarios. */
  readonly feature: string;
  readonly subsections: readonly PlanSubsection[];
}

export const PLAN_SECTIONS: readonly PlanSection[] = [
  {
    id: '4.1',
    title: 'End-to-End Order Flow Integration Tests',
    feature: 'features/order-flow.feature',
    subsections: [
      {
        id: '4.1.1',
        title: 'Complete Order Lifecycle Tests',
        testCases: [
          { id: 'TC-IF-001', title: 'Normal Order Flow (Risk Check → Execution → Reconciliation)' },
          { id: 'TC-IF-002', title: 'Order Rejection at Risk Validation Stage' },
          { id: 'TC-IF-003', title: 'Order Failure at Execution Stage' },
          { id: 'TC-IF-004', title: 'Partial Fills with Reconciliation' },
          { id: 'TC-IF-005', title: 'Order Cancellation Flow' },
          { id: 'TC-IF-006', title: 'Order Modification Flow' },
          { id: 'TC-IF-007', title: 'Multi-Order Portfolio Execution' },
        ],
      },
      {
        id: '4.1.2',
        title: 'Risk-Execution Integration Tests',
        testCases: [
          { id: 'TC-IF-008', title: 'Pre-trade Risk Limits Enforced During Execution' },
          { id: 'TC-IF-009', title: 'Position Sizing Integration with Order Placement' },
          { id: 'TC-IF-010', title: 'Leverage Limit Enforcement Throughout Order Lifecycle' },
          { id: 'TC-IF-011', title: 'Exposure Cap Validation During Concurrent Orders' },
          { id: 'TC-IF-012', title: 'Correlation Risk Integration with Multiple Positions' },
        ],
      },
      {
        id: '4.1.3',
        title: 'State Management Integration Tests',
        testCases: [
          { id: 'TC-IF-013', title: 'State Consistency Across Order Placement' },
          { id: 'TC-IF-014', title: 'Position State Synchronization' },
          { id: 'TC-IF-015', title: 'Runtime Settings Update During Active Orders' },
          { id: 'TC-IF-016', title: 'Event Store Integration with Order Flow' },
          { id: 'TC-IF-017', title: 'State Recovery After System Restart' },
        ],
      },
    ],
  },
  {
    id: '4.2',
    title: 'Circuit Breaker Integration Scenarios',
    feature: 'features/circuit-breakers.feature',
    subsections: [
      {
        id: '4.2.1',
        title: 'Circuit Breaker Triggering Tests',
        testCases: [
          { id: 'TC-CB-001', title: 'Daily Loss Gate Triggers Mid-Execution' },
          { id: 'TC-CB-002', title: 'Liquidation Buffer Breach During Active Positions' },
          { id: 'TC-CB-003', title: 'Volatility Spike Circuit Breaker Activation' },
          { id: 'TC-CB-004', title: 'Correlation Risk Circuit Breaker' },
          { id: 'TC-CB-005', title: 'Position Size Limit Circuit Breaker' },
          { id: 'TC-CB-006', title: 'Custom Risk Metric Circuit Breaker' },
        ],
      },
      {
        id: '4.2.2',
        title: 'Circuit Breaker System Response Tests',
        testCases: [
          { id: 'TC-CB-007', title: 'Order Cancellation on Circuit Breaker' },
          { id: 'TC-CB-008', title: 'Position Liquidation on Critical Risk' },
          { id: 'TC-CB-009', title: 'Broker Notification on Circuit Breaker' },
          { id: 'TC-CB-010', title: 'Telemetry Alert Generation' },
          { id: 'TC-CB-011', title: 'Event Store Logging of Circuit Breaker Events' },
          { id: 'TC-CB-012', title: 'Runtime Settings Update on Circuit Breaker' },
        ],
      },
      {
        id: '4.2.3',
        title: 'Circuit Breaker Recovery Tests',
        testCases: [
          { id: 'TC-CB-013', title: 'Normal Market Condition Recovery' },
          { id: 'TC-CB-014', title: 'Manual Circuit Breaker Reset' },
          { id: 'TC-CB-015', title: 'Gradual Risk Limit Restoration' },
          { id: 'TC-CB-016', title: 'Post-Recovery Order Flow Validation' },
          { id: 'TC-CB-017', title: 'System Health Check Post-Recovery' },
        ],
      },
    ],
  },
  {
    id: '4.3',
    title: 'Broker Error Propagation Tests',
    feature: 'features/broker-errors.feature',
    subsections: [
      {
        id: '4.3.1',
        title: 'Broker Communication Failure Tests',
        testCases: [
          { id: 'TC-BE-001', title: 'WebSocket Connection Drop During Order' },
          { id: 'TC-BE-002', title: 'API Rate Limiting Response' },
          { id: 'TC-BE-003', title: 'Broker Authentication Failure' },
          { id: 'TC-BE-004', title: 'Broker Maintenance Mode Response' },
          { id: 'TC-BE-005', title: 'Network Timeout During Order Placement' },
          { id: 'TC-BE-006', title: 'Invalid Order Response from Broker' },
        ],
      },
      {
        id: '4.3.2',
        title: 'Error Flow Through System Layers Tests',
        testCases: [
          { id: 'TC-BE-007', title: 'Broker Error → Execution Coordinator → Risk Manager' },
          { id: 'TC-BE-008', title: 'Order Status Update Failure Propagation' },
          { id: 'TC-BE-009', title: 'Position Sync Error Handling' },
          { id: 'TC-BE-010', title: 'Balance Update Failure Response' },
          { id: 'TC-BE-011', title: 'Telemetry Error Recording Integration' },
          { id: 'TC-BE-012', title: 'Event Store Error Logging Integration' },
        ],
      },
      {
        id: '4.3.3',
        title: 'Broker Error Recovery Tests',
        testCases: [
          { id: 'TC-BE-013', title: 'Automatic Connection Recovery' },
          { id: 'TC-BE-014', title: 'Order Resubmission After Failure' },
          { id: 'TC-BE-015', title: 'State Synchronization After Reconnection' },
          { id: 'TC-BE-016', title: 'Fallback Broker Switching' },
          { id: 'TC-BE-017', title: 'Graceful Degradation Mode' },
        ],
      },
    ],
  },
  {
    id: '4.4',
    title: 'Market Condition Simulation Integration',
    feature: 'features/market-conditions.feature',
    subsections: [
      {
        id: '4.4.1',
        title: 'Volatility Simulation Tests',
        testCases: [
          { id: 'TC-MC-001', title: 'High Volatility Market Response' },
          { id: 'TC-MC-002', title: 'Sudden Price Spike Reaction' },
          { id: 'TC-MC-003', title: 'Flash Crash Simulation' },
          { id: 'TC-MC-004', title: 'Volatility Regime Changes' },
          { id: 'TC-MC-005', title: 'Implied Volatility Surge Response' },
        ],
      },
      {
        id: '4.4.2',
        title: 'Liquidity Condition Tests',
        testCases: [
          { id: 'TC-MC-006', title: 'Low Liquidity Market Behavior' },
          { id: 'TC-MC-007', title: 'Liquidity Drain Simulation' },
          { id: 'TC-MC-008', title: 'Order Book Depth Changes' },
          { id: 'TC-MC-009', title: 'Spread Widening Response' },
          { id: 'TC-MC-010', title: 'Market Impact Calculation Integration' },
        ],
      },
      {
        id: '4.4.3',
        title: 'Market State Transition Tests',
        testCases: [
          { id: 'TC-MC-011', title: 'Pre-Market to Market Open Transition' },
          { id: 'TC-MC-012', title: 'Regular to After-Hours Trading' },
          { id: 'TC-MC-013', title: 'Market Close Preparation' },
          { id: 'TC-MC-014', title: 'Holiday/Weekend Transition' },
          { id: 'TC-MC-015', title: 'Emergency Market Halt Response' },
        ],
      },
    ],
  },
  {
    id: '4.5',
    title: 'Cross-Component Reconciliation Validation',
    feature: 'features/reconciliation.feature',
    subsections: [
      {
        id: '4.5.1',
        title: 'State Reconciliation Tests',
        testCases: [
          { id: 'TC-RC-001', title: 'Portfolio State Reconciliation' },
          { id: 'TC-RC-002', title: 'Position Reconciliation Across Systems' },
          { id: 'TC-RC-003', title: 'Balance Reconciliation with Broker' },
          { id: 'TC-RC-004', title: 'Order Status Reconciliation' },
          { id: 'TC-RC-005', title: 'Trade History Reconciliation' },
        ],
      },
      {
        id: '4.5.2',
        title: 'Data Consistency Tests',
        testCases: [
          { id: 'TC-RC-006', title: 'Event Store Consistency Validation' },
          { id: 'TC-RC-007', title: 'Telemetry Data Consistency' },
          { id: 'TC-RC-008', title: 'Runtime Settings Consistency' },
          { id: 'TC-RC-009', title: 'Risk Metrics Consistency' },
          { id: 'TC-RC-010', title: 'Timestamp Consistency Across Components' },
        ],
      },
      {
        id: '4.5.3',
        title: 'Reconciliation Error Handling Tests',
        testCases: [
          { id: 'TC-RC-011', title: 'Reconciliation Dispute Resolution' },
          { id: 'TC-RC-012', title: 'Missing Data Recovery' },
          { id: 'TC-RC-013', title: 'Data Corruption Detection' },
          { id: 'TC-RC-014', title: 'Reconciliation Retry Logic' },
          { id: 'TC-RC-015', title: 'Manual Reconciliation Intervention' },
        ],
      },
    ],
  },
];

/** Every test case of the plan, in the plan's order, with the section and subsection it belongs to. */
export const PLAN_TEST_CASES: readonly (PlanTestCase & { readonly section: string; readonly subsection: string })[] = PLAN_SECTIONS.flatMap(section =>
  section.subsections.flatMap(subsection => subsection.testCases.map(testCase => ({ ...testCase, section: section.id, subsection: subsection.id }))),
);

const BY_ID = new Map(PLAN_TEST_CASES.map(testCase => [testCase.id, testCase]));

/** A tag that names a test case of the plan's form (@TC-XX-NNN). */
export const TEST_CASE_TAG = /^@(TC-[A-Z]+-\d{3})$/;

export function planTestCase(id: string): (PlanTestCase & { readonly section: string; readonly subsection: string }) | undefined {
  return BY_ID.get(id);
}

/** The test case ids a scenario's tags name, and those of them the plan does not list. */
export function testCasesOfTags(tags: readonly string[]): { readonly ids: readonly string[]; readonly unknown: readonly string[] } {
  const ids = tags.map(tag => TEST_CASE_TAG.exec(tag)?.[1]).filter((id): id is string => id !== undefined);
  return { ids, unknown: ids.filter(id => !BY_ID.has(id)) };
}

/** The plan's coverage and performance targets (Success Metrics), as the front page sets figures beside them. */
export const PLAN_TARGETS = {
  integrationCoveragePercent: 85,
  errorScenarioCoveragePercent: 95,
  orderFlowLatencyMs: 100,
  breakerResponseMs: 50,
  errorPropagationMs: 25,
  recoverySeconds: 5,
} as const;
