@circuit-breakers
Feature: Circuit breakers (plan 4.2)
  Circuit breakers watch the live state on every mark price and every fill. At the warning level
  they raise an alert; at the critical level they change the trading state at once, cancel every
  working order, pull the broker's kill switch and liquidate the positions that breach, within what
  the order book can take. Trading comes back only after a cool-down with normal conditions, or a
  risk officer's reset, and a passing health check; limits then return in steps.

  Background:
    Given the circuit breakers are armed
    And an account funded with 100,000 USD
    And the market is:
      | symbol   | mark   |
      | BTC-PERP | 50,000 |
      | ETH-PERP | 3,000  |
      | SOL-PERP | 150    |
    And the risk limits in force are:
      | setting                               | value   |
      | max leverage (x)                      | 5       |
      | max order notional (USD)              | 250,000 |
      | max position per symbol (% of equity) | 100     |
      | max gross exposure (% of equity)      | 300     |
      | max net exposure (% of equity)        | 300     |
      | max correlated exposure (% of equity) | 300     |
    And the circuit breaker levels are:
      | breaker             | measured as              | warning | critical |
      | daily loss          | % of start-of-day equity | 4       | 5        |
      | liquidation buffer  | % of mark                | 20      | 15       |
      | volatility          | % annualised             | 15      | 20       |
      | price move          | % within the window      | 8       | 10       |
      | correlated exposure | % of equity              | 120     | 150      |
      | correlation jump    | average correlation      | 0.2     | 0.3      |
      | position size       | % of equity, per symbol  | 150     | 200      |
      | total position size | % of equity              | 250     | 300      |
    And positions are margined at 2x at the venue

  Rule: 4.2.1 A breaker trips on the live state it watches

    # The mark reaches the system between order 3 and order 4: a step hands it over (@desk-marks), a feed could not be timed to it.
    @TC-CB-001 @smoke @desk-marks
    Scenario: The daily loss gate trips while a basket is on its way: what was not sent is stopped, what was sent is cancelled once acknowledged
      Given the trader holds 2 BTC-PERP bought at 50,000 USD
      When the trader sends 6 orders to buy 1 ETH-PERP at 2,900 USD one after another, and BTC-PERP is marked at 47,400 USD just after order 3 is sent
      Then the "daily loss" breaker trips at 5,250 USD against a limit of 5,000 USD
      And the trading state is now HALTED, set by "circuit breaker daily loss"
      And the 3 orders sent before the trip were still waiting for the broker's acknowledgement when it tripped
      And each of them was cancelled only after the broker acknowledged it, here and at the broker
      And the 3 orders sent after the trip were rejected by the "trading state" check with the code "TRADING_HALTED"
      And none of the orders sent after the trip reached the broker
      And the broker has no open orders

    @TC-CB-001 @wire-only @desk-marks
    Scenario: When the broker's kill switch fails, the orders that were on their way are still cancelled one by one once acknowledged
      Given the trader holds 2 BTC-PERP bought at 50,000 USD
      And the broker will answer the next 3 cancel-all requests with "500 INTERNAL"
      When the trader sends 6 orders to buy 1 ETH-PERP at 2,900 USD one after another, and BTC-PERP is marked at 47,400 USD just after order 3 is sent
      Then the "daily loss" breaker trips at 5,250 USD against a limit of 5,000 USD
      And the breaker's "broker kill switch" action is recorded as failed with "KILL_SWITCH_FAILED"
      And each of them was cancelled only after the broker acknowledged it, here and at the broker
      And the broker has no open orders

    @TC-CB-001 @wire-only
    Scenario: An order on its way when a breaker tripped is cancelled once the broker acknowledges it, though the system restarted in between
      Given the trader holds 2 BTC-PERP bought at 50,000 USD
      And the broker will answer the next 3 cancel-all requests with "500 INTERNAL"
      And the network holds every request to the broker
      When the trader sends an order to buy 1 ETH-PERP at 2,900 USD without waiting for the answer
      And BTC-PERP is marked at 47,400 USD
      Then the "daily loss" breaker trips at 5,250 USD against a limit of 5,000 USD
      When the trading system crashes with the order's request still on the network
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      And the held request reaches the broker
      Then the order in flight was cancelled by the "daily loss" breaker once the broker acknowledged it, here and at the broker
      And the broker has no open orders

    @TC-CB-002 @smoke
    Scenario: A position near its liquidation price warns, then trips the liquidation buffer breaker and is closed
      Given positions are margined at 4x at the venue
      And the trader holds 0.2 BTC-PERP bought at 50,000 USD
      Then the BTC-PERP liquidation price is 37,750 USD and its buffer 24.50 %
      When 1 minute later BTC-PERP is marked at 46,000 USD
      Then the "liquidation buffer" breaker warns at 17.93 % against its warning level of 20 %
      And the trading state is now ACTIVE
      When 1 minute later BTC-PERP is marked at 44,000 USD
      Then the "liquidation buffer" breaker trips at 14.20 % against a limit of 15 %
      And the trading state is now REDUCE_ONLY, set by "circuit breaker liquidation buffer"
      And the trader has no BTC-PERP position

    @TC-CB-003
    Scenario Outline: Realized volatility of one-minute returns, annualised: <upper> and 50,000 USD in turn read <volatility>
      When BTC-PERP alternates between 50,000 USD and <upper> once a minute for 10 minutes
      Then the "volatility" breaker reads <volatility> and is <level>
      And the trading state is now <state>

      Examples:
        | upper      | volatility | level    | state       |
        | 50,005 USD | 7.64 %     | normal   | ACTIVE      |
        | 50,010 USD | 15.28 %    | warning  | ACTIVE      |
        | 50,015 USD | 22.92 %    | critical | REDUCE_ONLY |
        | 50,020 USD | 30.56 %    | critical | HALTED      |

    @TC-CB-003 @smoke
    Scenario: A move of more than 5 % within 60 seconds trips the price move breaker
      Given the "price move" breaker warns at 3 % and trips at 5 %
      When 20 seconds later BTC-PERP is marked at 48,400 USD
      Then the "price move" breaker warns at 3.20 % against its warning level of 3 %
      When 20 seconds later BTC-PERP is marked at 47,400 USD
      Then the "price move" breaker trips at 5.20 % against a limit of 5 %
      And the trading state is now REDUCE_ONLY, set by "circuit breaker price move"

    @TC-CB-003
    Scenario: The same fall spread over more than the window is no spike
      Given the "price move" breaker warns at 3 % and trips at 5 %
      When 40 seconds later BTC-PERP is marked at 48,700 USD
      And 40 seconds later BTC-PERP is marked at 47,400 USD
      Then no breaker has tripped
      And the trading state is now ACTIVE

    @TC-CB-004
    Scenario: Correlated positions trip the correlated exposure breaker although each is within its own limit
      Given the correlation between BTC-PERP and ETH-PERP is 0.9
      And the trader holds 1.5 BTC-PERP bought at 50,000 USD
      When the trader buys 30 ETH-PERP at market
      Then the "correlated exposure" breaker trips at 161.00 % against a limit of 150 %
      And the trading state is now REDUCE_ONLY, set by "circuit breaker correlated exposure"

    @TC-CB-004
    Scenario: A jump in the average correlation of the positions held trips the correlation breaker
      Given the correlation between BTC-PERP and ETH-PERP is 0.2
      And the trader holds 1 BTC-PERP bought at 50,000 USD
      And the trader holds 10 ETH-PERP bought at 3,000 USD
      When the risk officer sets the correlation between BTC-PERP and ETH-PERP to 0.6 because "desk correlation study"
      Then the "correlation jump" breaker trips at 0.4 against a limit of 0.3
      And the trading state is now REDUCE_ONLY, set by "circuit breaker correlation jump"

    @TC-CB-005
    Scenario: A position grown past its size limit trips the breaker and is cut back to the warning level
      Given the "position size" breaker warns at 60 % and trips at 80 %
      And the trader sells 1.5 BTC-PERP at market
      When 1 minute later BTC-PERP is marked at 52,000 USD
      Then the "position size" breaker trips at 80.44 % against a limit of 80 %
      And the trading state is now REDUCE_ONLY, set by "circuit breaker position size"
      And the position was liquidated in these reduce-only orders:
        | side | quantity | average price |
        | buy  | 0.382    | 52,000        |
      And the BTC-PERP position is short 1.118 at an average entry of 50,000 USD

    @TC-CB-005
    Scenario: All positions together trip the total position size breaker
      Given the "total position size" breaker warns at 120 % and trips at 150 %
      And the trader holds 1 BTC-PERP bought at 50,000 USD
      And the trader holds 10 ETH-PERP bought at 3,000 USD
      And the order book offers 5,000 SOL-PERP at 150 USD
      When the trader buys 500 SOL-PERP at market
      Then the "total position size" breaker trips at 155.12 % against a limit of 150 %
      And the trading state is now REDUCE_ONLY, set by "circuit breaker total position size"

    @TC-CB-006 @smoke
    Scenario: A breaker registered at runtime trips on its own metric
      When the risk officer registers a breaker "eth price floor" on the mark price of ETH-PERP that warns below "2,800" and trips below "2,500"
      And 1 minute later ETH-PERP is marked at 2,750 USD
      Then the "eth price floor" breaker warns at 2,750 USD against its warning level of 2,800 USD
      When 1 minute later ETH-PERP is marked at 2,480 USD
      Then the "eth price floor" breaker trips at 2,480 against a limit of 2,500
      And the trading state is now REDUCE_ONLY, set by "circuit breaker eth price floor"

    @TC-CB-006
    Scenario Outline: A breaker with bad levels is refused and nothing is recorded: <case>
      When the risk officer registers a breaker "<name>" on the mark price of ETH-PERP that warns below "<warning>" and trips below "<critical>"
      Then the registration is refused because "<reason>"

      Examples:
        | case                      | name           | warning | critical | reason                                 |
        | critical level not a number | eth price floor | 2,800   | NaN      | is not a decimal number                |
        | a decimal comma, not 25   | eth price floor | 2,800   | 2,5      | is not a decimal number                |
        | negative limit            | eth price floor | 2,800   | -5       | must not be negative                   |
        | levels in the wrong order | eth price floor | 2,400   | 2,500    | must come before the critical level    |
        | name taken                | volatility     | 2,800   | 2,500    | already exists                         |

    @TC-CB-006
    Scenario Outline: A bad breaker level in the settings is refused and the settings stay as they were: "<value>"
      When the risk officer tries to set the "price move" breaker's critical level to "<value>"
      Then the settings change is refused because "<reason>"
      And the settings are still at the version they had, with the "price move" breaker tripping at 10 %

      Examples:
        | value | reason                 |
        | NaN   | not a decimal number   |
        | -5    | must not be negative   |

  Rule: 4.2.2 On a critical level the system answers at once and in full

    @TC-CB-007 @smoke
    Scenario: Every working order is cancelled when a breaker trips
      Given the trader has a working order to buy 0.5 BTC-PERP at 49,000 USD
      And the trader has a working order to sell 5 ETH-PERP at 3,100 USD
      And the trader has a working order to buy 100 SOL-PERP at 145 USD
      And the "price move" breaker warns at 3 % and trips at 5 %
      When 20 seconds later BTC-PERP is marked at 47,400 USD
      Then the "price move" breaker trips at 5.20 % against a limit of 5 %
      And every working order was cancelled for "circuit breaker price move", here and at the broker

    @TC-CB-008 @smoke
    Scenario: A breaching position is liquidated with reduce-only orders no larger than the book can take
      Given positions are margined at 4x at the venue
      And the trader holds 0.3 BTC-PERP bought at 50,000 USD
      When 1 minute later BTC-PERP is marked at 44,000 USD with only these bids:
        | price  | quantity |
        | 44,000 | 0.1      |
        | 43,990 | 0.15     |
        | 43,980 | 1        |
      Then the "liquidation buffer" breaker trips at 14.20 % against a limit of 15 %
      And the position was liquidated in these reduce-only orders:
        | side | quantity | average price |
        | sell | 0.1      | 44,000        |
        | sell | 0.15     | 43,990        |
        | sell | 0.05     | 43,980        |
      And the trader has no BTC-PERP position

    @TC-CB-008
    Scenario: A liquidation larger than the bids stops when the book takes no more, and says what is left to sell
      Given positions are margined at 4x at the venue
      And the trader holds 0.3 BTC-PERP bought at 50,000 USD
      When 1 minute later BTC-PERP is marked at 44,000 USD with only these bids:
        | price  | quantity |
        | 44,000 | 0.1      |
      Then the "liquidation buffer" breaker trips at 14.20 % against a limit of 15 %
      And the position was liquidated in these reduce-only orders:
        | side | quantity | average price |
        | sell | 0.1      | 44,000        |
      And the breaker's "liquidate" action is recorded as failed with "LIQUIDATION_BOOK_EXHAUSTED" because "the book takes no more; 0.2 left to sell"
      And the BTC-PERP position is long 0.2 at an average entry of 50,000 USD
      And the BTC-PERP position is reconciled with the broker

    @TC-CB-009 @smoke
    Scenario: The broker is told to cancel everything, once, however often the breaker goes critical
      Given the trader has a working order to buy 0.5 BTC-PERP at 49,000 USD
      And the "price move" breaker warns at 3 % and trips at 5 %
      When 20 seconds later BTC-PERP is marked at 47,400 USD
      And 2 minutes later BTC-PERP is marked at 47,400 USD
      And 20 seconds later BTC-PERP is marked at 45,000 USD
      Then the "price move" breaker tripped once, and went critical again 1 time without a second response
      And the broker received exactly 1 cancel-all request, after the trip
      And the settings were changed 1 time by "circuit breaker price move"
      And the broker has no open orders

    @TC-CB-009
    Scenario: Two breakers tripping on the same tick leave one consistent state, the stricter one
      Given positions are margined at 4x at the venue
      And the trader holds 2 BTC-PERP bought at 50,000 USD
      And the trader has a working order to sell 1 ETH-PERP at 3,100 USD
      When 1 minute later BTC-PERP is marked at 44,000 USD
      Then the "daily loss" breaker trips at 12,050 USD against a limit of 5,000 USD
      And the "liquidation buffer" breaker trips at 14.20 % against a limit of 15 %
      And the trading state is now HALTED, set by "circuit breaker daily loss"
      And each working order was cancelled exactly once
      And the broker received exactly 1 cancel-all request, after the trip
      And the liquidation was refused by the risk check with the code "TRADING_HALTED"
      And the BTC-PERP position is long 2 at an average entry of 50,000 USD

    @TC-CB-010 @smoke
    Scenario: Each level raises an alert with the breaker, its level, the figure, the limit and the time
      Given the "price move" breaker warns at 3 % and trips at 5 %
      When 20 seconds later BTC-PERP is marked at 48,400 USD
      And 10 seconds later BTC-PERP is marked at 47,400 USD
      Then the alerts raised are:
        | breaker    | level    | observed | limit  | time                |
        | price move | warning  | 3.20 %   | 3.00 % | 2026-01-05 14:30:20 |
        | price move | critical | 5.20 %   | 5.00 % | 2026-01-05 14:30:30 |
      And telemetry counted 1 warning alert and 1 critical alert

    # The kill switch comes first: one request closes every working order, each booked cancelled from the broker's answer.
    @TC-CB-011 @smoke
    Scenario: The event log holds the trip and every action of the response in order, and a restart keeps them
      Given the trader has a working order to buy 0.5 BTC-PERP at 49,000 USD
      And the "price move" breaker warns at 3 % and trips at 5 %
      When 20 seconds later BTC-PERP is marked at 47,400 USD
      Then the response of the "price move" breaker is recorded in this order:
        | action             | outcome |
        | settings changed   | done    |
        | alert raised       | done    |
        | broker kill switch | done    |
        | cancel order       | done    |
      And the event log's sequence numbers have no gaps and its hash chain verifies
      When the trading system crashes
      And a new trading system instance starts on the same event log
      Then the "price move" breaker is still tripped
      And the trading state is now REDUCE_ONLY, set by "circuit breaker price move"

    @TC-CB-011 @wire-only
    Scenario: When the broker's kill switch fails, every working order is cancelled one by one, and the log says so
      Given the trader has a working order to buy 0.5 BTC-PERP at 49,000 USD
      And the trader has a working order to sell 1 ETH-PERP at 3,100 USD
      And the "price move" breaker warns at 3 % and trips at 5 %
      And the broker will answer the next 3 cancel-all requests with "500 INTERNAL"
      When 20 seconds later BTC-PERP is marked at 47,400 USD
      Then the response of the "price move" breaker is recorded in this order:
        | action             | outcome |
        | settings changed   | done    |
        | alert raised       | done    |
        | broker kill switch | failed  |
        | cancel order       | done    |
        | cancel order       | done    |
      And the breaker's "broker kill switch" action is recorded as failed with "KILL_SWITCH_FAILED"
      And every working order was cancelled for "circuit breaker price move", here and at the broker
      And each working order was cancelled exactly once

    @TC-CB-011 @wire-only
    Scenario: An order the broker will not cancel after its kill switch failed is reported as CANCEL_FAILED, never booked as cancelled
      Given the trader has a working order to buy 0.5 BTC-PERP at 49,000 USD
      And the "price move" breaker warns at 3 % and trips at 5 %
      And the broker will answer the next 3 cancel-all requests with "500 INTERNAL"
      And the broker will answer the next 3 cancel requests with "500 INTERNAL"
      When 20 seconds later BTC-PERP is marked at 47,400 USD
      Then the breaker's "broker kill switch" action is recorded as failed with "KILL_SWITCH_FAILED"
      And the breaker's "cancel order" action is recorded as failed with "CANCEL_FAILED"
      And the working order is still working, here and at the broker
      And the trading state is now REDUCE_ONLY, set by "circuit breaker price move"

    @TC-CB-011 @wire-only
    Scenario: A kill switch answer that does not name the orders it closed is a failure, never read as all cancelled
      Given the trader has a working order to buy 0.5 BTC-PERP at 49,000 USD
      And the "price move" breaker warns at 3 % and trips at 5 %
      And the broker will carry out the next cancel-all request but answer it with '{"cancelled":1}'
      When 20 seconds later BTC-PERP is marked at 47,400 USD
      Then the breaker's "broker kill switch" action is recorded as failed with "KILL_SWITCH_FAILED"
      And the broker received exactly 1 cancel-all request, after the trip
      And every working order was cancelled for "circuit breaker price move", here and at the broker
      And each working order was cancelled exactly once

    @TC-CB-012 @smoke
    Scenario: The breaker's policy is a settings change made by the breaker, and the next order meets it
      Given the "price move" breaker warns at 3 % and trips at 5 %
      And the trader holds 0.5 BTC-PERP bought at 50,000 USD
      When 20 seconds later BTC-PERP is marked at 47,400 USD
      Then the settings changed by "circuit breaker price move" are:
        | setting          | from   | to          |
        | trading state    | ACTIVE | REDUCE_ONLY |
        | max leverage (x) | 5      | 2           |
      When the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the "trading state" check with the code "TRADING_STATE_REDUCING"
      When the trader sells 0.2 BTC-PERP at market
      Then the order passed the "trading state" check

  Rule: 4.2.3 Trading comes back only when it is safe, and gradually

    @TC-CB-013 @smoke
    Scenario: After 30 minutes of normal conditions the breakers reset themselves and trading resumes
      Given the "price move" breaker warns at 3 % and trips at 5 %
      When 20 seconds later BTC-PERP is marked at 47,400 USD
      And the market stays calm for 29 minutes
      Then the trading state is now REDUCE_ONLY
      When the market stays calm for 2 minutes
      Then the breakers were reset automatically because "conditions normal for 30 minutes"
      And the last health check passed on broker connectivity, market data freshness and reconciliation
      And the trading state is now ACTIVE, set by "circuit breaker recovery"

    @TC-CB-013
    Scenario: A second spike during the cool-down trips the volatility breaker too, and the cool-down starts again
      Given the "price move" breaker warns at 3 % and trips at 5 %
      When 20 seconds later BTC-PERP is marked at 47,400 USD
      And the market stays calm for 20 minutes
      And 20 seconds later BTC-PERP is marked at 45,000 USD
      Then the "volatility" breaker trips at 842.32 % against a limit of 20 %
      And the trading state is now HALTED, set by "circuit breaker volatility"
      And the "price move" breaker tripped once, and went critical again 1 time without a second response
      When the market stays calm for 49 minutes
      Then the trading state is now HALTED
      When the market stays calm for 1 minute
      Then the breakers were reset automatically because "conditions normal for 30 minutes"
      And the trading state is now ACTIVE, set by "circuit breaker recovery"

    @TC-CB-014 @smoke
    Scenario: Only a risk officer with a reason can reset a tripped breaker, and every attempt is audited
      Given the "price move" breaker warns at 3 % and trips at 5 %
      And 20 seconds later BTC-PERP is marked at 47,400 USD
      When "Dana" with the role "trader" resets the breakers because "the market looks fine"
      Then the reset is refused with "RESET_ROLE_NOT_PERMITTED"
      When "Rita" with the role "risk officer" resets the breakers because "a bad print from one venue"
      Then the reset is refused with "BREAKER_CONDITION_PERSISTS"
      When 1 minute later BTC-PERP is marked at 47,400 USD
      And "Rita" with the role "risk officer" resets the breakers because ""
      Then the reset is refused with "RESET_REASON_MISSING"
      When "Rita" with the role "risk officer" resets the breakers because "a bad print from one venue"
      Then the breakers were reset by "Rita" because "a bad print from one venue"
      And the trading state is now ACTIVE, set by "circuit breaker recovery"
      And the reset attempts in the event log are:
        | operator | role         | outcome        | code                       |
        | Dana     | trader       | refused        | RESET_ROLE_NOT_PERMITTED   |
        | Rita     | risk officer | refused        | BREAKER_CONDITION_PERSISTS |
        | Rita     | risk officer | refused        | RESET_REASON_MISSING       |
        | Rita     | risk officer | reset (manual) |                            |

    @TC-CB-014
    Scenario: Resetting a breaker that does not exist is bad input and changes nothing
      Given the "price move" breaker warns at 3 % and trips at 5 %
      And 20 seconds later BTC-PERP is marked at 47,400 USD
      When "Rita" with the role "risk officer" resets the "flash crash" breaker because "test"
      Then the reset is refused as bad input because "no circuit breaker named \"flash crash\""
      And the trading state is now REDUCE_ONLY

    @TC-CB-014
    Scenario: A reset with no breaker tripped is refused as nothing to reset, and the refusal is audited
      When "Rita" with the role "risk officer" resets the breakers because "start of day check"
      Then the reset is refused with "NOTHING_TO_RESET"
      And no breaker has tripped
      And the trading state is now ACTIVE
      And the reset attempts in the event log are:
        | operator | role         | outcome | code             |
        | Rita     | risk officer | refused | NOTHING_TO_RESET |

    @TC-CB-014
    Scenario: A reset of a breaker that has not tripped is refused and the breaker that did trip stays tripped
      Given the "price move" breaker warns at 3 % and trips at 5 %
      And 20 seconds later BTC-PERP is marked at 47,400 USD
      When 1 minute later BTC-PERP is marked at 47,400 USD
      And "Rita" with the role "risk officer" resets the "daily loss" breaker because "the loss figure was a bad print"
      Then the reset is refused with "NOTHING_TO_RESET"
      And the "price move" breaker is still tripped
      And the trading state is now REDUCE_ONLY, set by "circuit breaker price move"

    @TC-CB-015 @smoke
    Scenario: Limits come back in steps of 25, 50 and 100 percent, 15 minutes apart, and an order over the current step is refused
      Given the "price move" breaker warns at 3 % and trips at 5 %
      And 20 seconds later BTC-PERP is marked at 47,400 USD
      And 1 minute later BTC-PERP is marked at 47,400 USD
      When "Rita" with the role "risk officer" resets the breakers because "a bad print from one venue"
      Then the limits in force are:
        | setting                               | value  |
        | max leverage (x)                      | 1.25   |
        | max order notional (USD)              | 62,500 |
        | max position per symbol (% of equity) | 25     |
      When the trader buys 0.6 BTC-PERP at market
      Then the order is rejected by the "position limit" check with the code "POSITION_LIMIT_EXCEEDED"
      When the market stays calm for 15 minutes
      Then the limits in force are:
        | setting                               | value   |
        | max leverage (x)                      | 2.5     |
        | max order notional (USD)              | 125,000 |
        | max position per symbol (% of equity) | 50      |
      When the trader buys 0.6 BTC-PERP at market
      Then the order passed every pre-trade check
      When the market stays calm for 15 minutes
      Then the limits in force are:
        | setting                               | value   |
        | max leverage (x)                      | 5       |
        | max order notional (USD)              | 250,000 |
        | max position per symbol (% of equity) | 100     |

    @TC-CB-016 @smoke
    Scenario: After recovery an order goes through the normal flow: checked, filled and reconciled
      Given the "price move" breaker warns at 3 % and trips at 5 %
      And 20 seconds later BTC-PERP is marked at 47,400 USD
      And the market stays calm for 31 minutes
      And the market stays calm for 30 minutes
      When the trader buys 1 BTC-PERP at market
      Then the order passed every pre-trade check
      And the order is filled at an average price of 47,400 USD
      And the BTC-PERP position is reconciled with the broker
      And the trading state is now ACTIVE

    @TC-CB-017 @smoke
    Scenario: Trading does not resume until the health check passes: fresh market data, a broker that answers, positions that agree
      Given the trader holds 0.2 BTC-PERP bought at 50,000 USD
      And the trader holds 2 ETH-PERP bought at 3,000 USD
      And the "price move" breaker warns at 3 % and trips at 5 %
      And 20 seconds later BTC-PERP is marked at 47,400 USD
      And 1 minute later BTC-PERP is marked at 47,400 USD
      When "Rita" with the role "risk officer" resets the breakers because "a bad print from one venue"
      Then the reset is refused with "HEALTH_CHECK_FAILED"
      And the health check failed on "market data freshness" with "MARKET_DATA_STALE"
      And the trading state is now REDUCE_ONLY
      When ETH-PERP is marked at 3,000 USD
      And the broker will be unreachable for the next request
      And "Rita" with the role "risk officer" resets the breakers because "a bad print from one venue"
      Then the reset is refused with "HEALTH_CHECK_FAILED"
      And the health check failed on "broker connectivity" with "BROKER_UNREACHABLE"
      When "Rita" with the role "risk officer" resets the breakers because "a bad print from one venue"
      Then the breakers were reset by "Rita" because "a bad print from one venue"
      And the last health check passed on broker connectivity, market data freshness and reconciliation
      And the trading state is now ACTIVE, set by "circuit breaker recovery"
