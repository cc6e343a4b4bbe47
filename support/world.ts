import { IWorldOptions, World } from '@cucumber/cucumber';
import { referenceDriver } from './sut';
import {
  BrokerErrors,
  BrokerReconciliation,
  Reconciliation,
  CircuitBreakers,
  Credentials,
  EventLog,
  Executions,
  Market,
  Exchange,
  Network,
  Operator,
  RiskOfficer,
  Routes,
  ScenarioContext,
  Trader,
  UserChannel,
  Venue,
} from './dsl';

/**
 * One scenario: its context (clock, seeded randomness, broker, the trading system's session, what it
 * remembers, the errors it must account for) and an actor per channel the Gherkin speaks of. Steps
 * parse, make one DSL call, and assert; they never reach into the system.
 */
export class TradingWorld extends World {
  readonly context = new ScenarioContext(referenceDriver);
  // One of each actor a scenario: an actor that needs another is handed this one, never builds its own.
  readonly eventLog = new EventLog(this.context);
  readonly market = new Market(this.context);
  readonly exchange = new Exchange(this.context, this.eventLog, this.market);
  readonly trader = new Trader(this.context, this.eventLog, this.market);
  readonly riskOfficer = new RiskOfficer(this.context);
  readonly operator = new Operator(this.context, this.eventLog);
  readonly venue = new Venue(this.context);
  readonly network = new Network(this.context, this.operator);
  readonly circuitBreakers = new CircuitBreakers(this.context, this.eventLog);
  readonly executions = new Executions(this.context, this.eventLog, this.trader);
  readonly userChannel = new UserChannel(this.context, this.eventLog);
  readonly brokerErrors = new BrokerErrors(this.context, this.eventLog);
  readonly credentials = new Credentials(this.context, this.operator);
  readonly routes = new Routes(this.context, this.eventLog, this.trader, this.market, this.operator);
  readonly brokerReconciliation = new BrokerReconciliation(this.context, this.eventLog, this.trader);
  readonly reconciliation = new Reconciliation(this.context, this.trader, this.eventLog);

  constructor(options: IWorldOptions) {
    super(options);
  }
}
