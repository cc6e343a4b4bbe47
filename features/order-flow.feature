@order-flow
Feature: Order flow (plan 4.1)
  Every order passes the live risk manager, reaches the broker through the execution
  coordinator, and ends reconciled against the broker's own books. The log of events is the
  system's memory: orders, positions and balances are rebuilt from it after a restart.

  Background:
    Given an account funded with 100,000 USD
    And the market is:
      | symbol   | mark   |
      | BTC-PERP | 50,000 |
      | ETH-PERP | 3,000  |
      | SOL-PERP | 150    |
    And the risk limits in force are:
      | setting                                     | value   |
      | max leverage (x)                            | 3       |
      | max order notional (USD)                    | 250,000 |
      | max position per symbol (% of equity)       | 300     |
      | max gross exposure (% of equity)            | 300     |
      | max net exposure (% of equity)              | 300     |
      | max correlated exposure (% of equity)       | 300     |
      | daily loss limit (% of start-of-day equity) | 5       |
      | price collar (% from mark)                  | 5       |

  Rule: 4.1.1 An order's whole life: risk check, execution, reconciliation

    @TC-IF-001 @smoke
    Scenario: A market order passes every check, fills, and the position agrees with the broker
      When the trader buys 1 BTC-PERP at market
      Then the order passed every pre-trade check
      And the order is filled at an average price of 50,000 USD
      And the BTC-PERP position is long 1 at an average entry of 50,000 USD
      And the BTC-PERP position is reconciled with the broker
      And the order went through the states new, pending risk, submitted, acknowledged, filled
      And the account paid 25 USD in fees, leaving 99,975 USD cash, the same as the broker's
      And telemetry counted the order once at each stage: risk, submit, ack, fill

    @TC-IF-002 @smoke
    Scenario: An order over the per-order notional limit never reaches the broker
      When the trader buys 6 BTC-PERP at market
      Then the order is rejected by the "order notional" check
      And the decision shows "order notional" at 300,000 against a limit of 250,000
      And the rejection carries the code "NOTIONAL_EXCEEDS_MAX_PER_ORDER"
      And no order reached the broker
      And the trader has no BTC-PERP position

    @TC-IF-002
    Scenario Outline: At its boundary a limit holds, one step beyond it refuses: <check> for <quantity> BTC-PERP at <price>
      When the trader buys <quantity> BTC-PERP with a limit of <price>
      Then the "<check>" check <verdict> with <observed> against a limit of <limit>

      Examples: per-order notional, one lot over
        | quantity | price      | check          | verdict | observed | limit   |
        | 5        | 50,000 USD | order notional | passes  | 250,000  | 250,000 |
        | 5.001    | 50,000 USD | order notional | fails   | 250,050  | 250,000 |

      Examples: price collar, one tick over 5 % from the mark
        | quantity | price        | check        | verdict | observed | limit |
        | 0.1      | 52,500 USD   | price collar | passes  | 0.05     | 0.05  |
        | 0.1      | 52,500.5 USD | price collar | fails   | 0.05001  | 0.05  |
        | 0.1      | 47,500 USD   | price collar | passes  | 0.05     | 0.05  |
        | 0.1      | 47,499.5 USD | price collar | fails   | 0.05001  | 0.05  |

    @TC-IF-002
    Scenario Outline: The per-symbol order quantity limit of 2 holds at its boundary: <quantity> <verdict>
      Given the order quantity limit for BTC-PERP is 2
      When the trader buys <quantity> BTC-PERP at market
      Then the "order quantity" check <verdict> with <quantity> against a limit of 2

      Examples:
        | quantity | verdict |
        | 2        | passes  |
        | 2.001    | fails   |

    @TC-IF-002
    Scenario: An instrument switched off for trading refuses new orders, and trades again when switched back on
      Given the risk officer switches off trading in SOL-PERP
      When the trader buys 10 SOL-PERP at market
      Then the order is rejected by the "tradable instrument" check with the code "INSTRUMENT_NOT_TRADABLE"
      And no order reached the broker
      When the risk officer switches on trading in SOL-PERP
      And the trader buys 10 SOL-PERP at market
      Then the order is filled at an average price of 150 USD

    @TC-IF-002
    Scenario Outline: Bad input is refused with a clear reason and leaves no trace but the rejection: <side> <quantity> <symbol> <type> <price>
      When the trader sends the order "<side> <quantity> <symbol> <type> <price>"
      Then the order is refused as bad input because "<reason>"
      And the only event recorded for it is the input rejection
      And the rejection on record names the <field> and the text the trader sent for it
      And no order reached the broker

      Examples:
        | side | quantity | symbol    | type   | price    | reason                                            | field       |
        | buy  | -1       | BTC-PERP  | market | -        | quantity must be greater than zero                | quantity    |
        | buy  | NaN      | BTC-PERP  | market | -        | quantity is not a valid number                    | quantity    |
        | buy  | 0        | BTC-PERP  | market | -        | quantity must be greater than zero                | quantity    |
        | buy  | 1        | DOGE-PERP | market | -        | unknown instrument DOGE-PERP                      | symbol      |
        | buy  | 1        | BTC-PERP  | limit  | 50000.3  | limit price 50000.3 is off the tick grid of 0.5   | limit price |
        | sell | 0.0005   | BTC-PERP  | market | -        | quantity 0.0005 is not a multiple of the lot size | quantity    |
        | buy  | 1        | BTC-PERP  | limit  | Infinity | limit price is not a valid number                 | limit price |
        | hold | 1        | BTC-PERP  | market | -        | side must be buy or sell                          | side        |

      Examples: a number is read exactly as written, never guessed at: "1,5" is not 15 and "0,001" is not 1
        | side | quantity | symbol    | type   | price    | reason                                            | field       |
        | buy  | 1,5      | BTC-PERP  | market | -        | quantity is not a valid number                    | quantity    |
        | buy  | 0,001    | BTC-PERP  | market | -        | quantity is not a valid number                    | quantity    |
        | buy  | 1e3      | BTC-PERP  | market | -        | quantity is not a valid number                    | quantity    |
        | buy  | +1       | BTC-PERP  | market | -        | quantity is not a valid number                    | quantity    |
        | buy  | 007      | BTC-PERP  | market | -        | quantity is not a valid number                    | quantity    |
        | buy  | .5       | BTC-PERP  | market | -        | quantity is not a valid number                    | quantity    |
        | buy  | 1        | BTC-PERP  | limit  | 50,000   | limit price is not a valid number                 | limit price |

    @TC-IF-002
    Scenario: A listed instrument with no mark price yet cannot be valued, so its order is refused before the broker
      When the trader buys 10 AAPL at market
      Then the order is rejected by the "mark price" check with the code "MARK_PRICE_UNAVAILABLE"
      And the event log for the order reads:
        | event          |
        | OrderRequested |
        | OrderRejected  |
      And no order reached the broker
      And the trader has no AAPL position

    @TC-IF-003 @smoke
    Scenario: The broker refuses an order: it is rejected at the broker stage and its reservation is released
      Given the maximum leverage is 1x
      And the broker will refuse the next order with "INSUFFICIENT_MARGIN"
      When the trader buys 2 BTC-PERP at market
      Then the order is rejected by the broker with the code "INSUFFICIENT_MARGIN"
      And the order passed every pre-trade check
      And the trader has no BTC-PERP position
      And the projected leverage is 0.00x
      When the trader buys 2 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD

    @TC-IF-003
    Scenario: The broker cannot be reached: the order fails and the error keeps its cause
      Given the broker will be unreachable for the next request
      When the trader buys 1 BTC-PERP at market
      Then the order failed with a "BrokerUnavailable" error
      And the error passed through the coordinator, the execution engine and the broker gateway
      And the order's failure is in the event log with the reason "unavailable"
      And the failure is logged as one JSON line at level "error"
      And the trader has no BTC-PERP position

    @TC-IF-003
    Scenario: The broker took the order but its answer was lost: the order is found by its client order id, not sent twice
      Given the broker's answer to the next request will be lost
      When the trader buys 1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
      And the broker received the order once and the lost answer was settled without sending it again
      And the BTC-PERP position is long 1 at an average entry of 50,000 USD

    @TC-IF-003
    Scenario: A request that timed out before reaching the broker: the order is looked for, not found, and stays reserved until it can no longer arrive
      Given the next request to the broker will time out before it arrives
      When the trader buys 1 BTC-PERP at market
      Then the order is in flight after a "Timeout" error
      And the broker never received the order but was asked for it by its client order id
      And the projected leverage is 0.50x
      When 62 seconds pass, more than the broker's receive window of 60 seconds and its clock's tolerance of 1 second
      And the system resolves its orders in flight
      Then the order in flight is closed because it "can no longer arrive", nothing of it filled
      And the trader has no BTC-PERP position
      And the projected leverage is 0.00x

    @TC-IF-003
    Scenario: An order sent again counts from its new signing: its resubmission lost too, it stays reserved until a receive window has passed since then
      Given the next 2 order requests to the broker will time out before they arrive
      When the trader buys 1 BTC-PERP at market
      Then the order is in flight after a "Timeout" error
      When 30 seconds later the system resolves its orders in flight
      Then the order was sent again under the same client order id, signed 30 seconds after its first request
      And the order is still in flight, its 1 BTC-PERP reserved
      When the trading system crashes
      And a new trading system instance starts on the same event log
      And 32 seconds later it recovers with the broker
      Then the order is still in flight, its 1 BTC-PERP reserved
      And the projected leverage is 0.50x
      When 30 seconds later it recovers with the broker
      Then the order in flight is closed because it "can no longer arrive", nothing of it filled
      And the trader has no BTC-PERP position
      And the projected leverage is 0.00x

    @TC-IF-004 @smoke
    Scenario: Partial fills are applied one by one and reconciled after each
      Given an order may take up to 400 % of the visible depth
      And the order book offers 0.3 BTC-PERP at 49,990 USD
      When the trader buys 1 BTC-PERP with a limit of 50,000 USD
      Then the order is partially filled: 0.3 of 1
      And the BTC-PERP position is reconciled with the broker
      When the market trades 0.5 BTC-PERP against the order
      Then the order is partially filled: 0.8 of 1
      And the BTC-PERP position is reconciled with the broker
      When the market trades 0.2 BTC-PERP against the order
      Then the order is filled at an average price of 49,997 USD
      And the BTC-PERP position is long 1 at an average entry of 49,997 USD
      And the BTC-PERP position was reconciled 3 times, every time matched

    @TC-IF-004
    Scenario: A market order larger than the book fills what is there and the rest is cancelled
      Given an order may take up to 400 % of the visible depth
      And the order book offers 0.4 BTC-PERP at 50,000 USD
      When the trader buys 1 BTC-PERP at market
      Then the order is cancelled with 0.4 of 1 filled
      And the BTC-PERP position is long 0.4 at an average entry of 50,000 USD
      And the BTC-PERP position is reconciled with the broker

    @TC-IF-005 @smoke
    Scenario: Cancelling a working order releases its reserved exposure
      Given the trader has a working order to buy 2 BTC-PERP at 49,000 USD
      And the projected leverage is 1.00x
      When the trader cancels the working order
      Then the order is cancelled with 0 of 2 filled
      And the broker has no open orders
      And the projected leverage is 0.00x

    @TC-IF-005
    Scenario: Cancelling after a partial fill keeps what was filled
      Given the trader has a working order to buy 2 BTC-PERP at 49,000 USD
      And the market trades 0.5 BTC-PERP against the order
      When the trader cancels the working order
      Then the order is cancelled with 0.5 of 2 filled
      And the BTC-PERP position is long 0.5 at an average entry of 49,000 USD

    @TC-IF-005
    Scenario: The broker cancelled the order but its answer was lost: asking the broker confirms the cancel
      Given the trader has a working order to buy 2 BTC-PERP at 49,000 USD
      And the broker's answer to the next request will be lost
      When the trader cancels the working order
      Then the trader is told the cancel went through
      And the order is cancelled with 0 of 2 filled
      And the projected leverage is 0.00x

    @TC-IF-005
    Scenario: A filled order cannot be cancelled and nothing changes
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the market trades 1 BTC-PERP against the order
      When the trader cancels the working order
      Then the cancel is refused because "is filled and cannot be cancelled"
      And the refused cancel is on the order's record as "IllegalTransition"
      And the order is filled at an average price of 49,000 USD
      And the broker received no cancel request

    @TC-IF-006
    Scenario: A working order is modified after the new terms pass the risk checks
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      When the trader modifies the working order to 1.5 at 49,500 USD
      Then the working order is for 1.5 at 49,500 USD, here and at the broker
      And the modification passed every pre-trade check

    @TC-IF-006
    Scenario: A modification whose answer was lost is confirmed by asking the broker, so the order keeps one set of terms
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the broker's answer to the next request will be lost
      When the trader modifies the working order to 1.5 at 49,500 USD
      Then the trader is told the modification went through
      And the working order is for 1.5 at 49,500 USD, here and at the broker

    @TC-IF-006
    Scenario: A modification that would break the leverage limit is refused and the order keeps its terms
      Given the trader has a working order to buy 4 BTC-PERP at 49,000 USD
      When the trader modifies the working order to 7 at 49,000 USD
      Then the modification is refused by the "max leverage" check
      And the working order is for 4 at 49,000 USD, here and at the broker

    @TC-IF-006
    Scenario Outline: A modification to no more than the quantity already filled is refused: <quantity> after 1.5 filled
      Given the trader has a working order to buy 2 BTC-PERP at 49,000 USD
      And the market trades 1.5 BTC-PERP against the order
      When the trader modifies the working order to <quantity> at 49,000 USD
      Then the modification is refused because "must exceed the 1.5 already filled"
      And the working order is for 2 at 49,000 USD, here and at the broker

      Examples:
        | quantity |
        | 1        |
        | 1.5      |

    @TC-IF-006
    Scenario: Enlarging a partly filled order is checked on what is left to fill, not on the whole order again
      Given the trader has a working order to buy 4 BTC-PERP at 49,000 USD
      And the market trades 3 BTC-PERP against the order
      When the trader modifies the working order to 5 at 49,000 USD
      Then the modification passed the "max leverage" check
      And the working order is for 5 at 49,000 USD, here and at the broker

    @TC-IF-006
    Scenario: While a modification is on its way, the larger of the old and new quantity stays reserved
      Given the trader has a working order to buy 2 BTC-PERP at 49,000 USD
      And the broker will not answer the next request
      When the trader asks to modify the working order to 4 at 49,000 USD without waiting for the answer
      Then the projected leverage is 2.00x
      When the trader buys 2.5 BTC-PERP at market
      Then the order is rejected by the "max leverage" check

    @TC-IF-007 @smoke
    Scenario: A basket of orders across three instruments builds the portfolio
      When the trader sends the basket:
        | side | quantity | symbol   |
        | buy  | 1        | BTC-PERP |
        | buy  | 10       | ETH-PERP |
        | sell | 100      | SOL-PERP |
      Then every order in the basket is filled
      And the positions are:
        | symbol   | net quantity | average entry |
        | BTC-PERP | 1            | 50,000        |
        | ETH-PERP | 10           | 3,000         |
        | SOL-PERP | -100         | 150           |
      And the gross exposure is 95,000 USD and the leverage 0.95x
      And every position is reconciled with the broker

    @TC-IF-007
    Scenario: One order of a basket refused by risk does not stop the others
      Given the per-order notional limit is 40,000 USD
      When the trader sends the basket:
        | side | quantity | symbol   |
        | buy  | 1        | BTC-PERP |
        | buy  | 10       | ETH-PERP |
        | sell | 100      | SOL-PERP |
      Then the basket order for BTC-PERP is rejected by the "order notional" check
      And the positions are:
        | symbol   | net quantity | average entry |
        | ETH-PERP | 10           | 3,000         |
        | SOL-PERP | -100         | 150           |

  Rule: 4.1.2 Risk limits hold for the whole life of an order

    @TC-IF-008 @smoke
    Scenario: A working order counts against the position limit until it is cancelled
      Given the position limit for BTC-PERP is 60,000 USD
      And the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      When the trader buys 0.3 BTC-PERP at market
      Then the order is rejected by the "position limit" check
      And the decision shows "position limit" at 65,000 against a limit of 60,000
      When the trader cancels the working order
      And the trader buys 0.3 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD

    @TC-IF-008
    Scenario: Filled and working quantity together count against the position limit
      Given the position limit for BTC-PERP is 60,000 USD
      And the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the market trades 0.6 BTC-PERP against the order
      When the trader buys 0.2 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
      When the trader buys 0.001 BTC-PERP at market
      Then the order is rejected by the "position limit" check
      And the decision shows "position limit" at 60,050 against a limit of 60,000

    @TC-IF-008
    Scenario Outline: The <check> control refuses new risk with <code> and still lets a reducing order through
      Given the trader holds 2 BTC-PERP bought at 50,000 USD
      And <condition>
      When the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the "<check>" check with the code "<code>"
      When the trader sells 0.5 BTC-PERP at market
      Then the order passed the "<check>" check
      And the BTC-PERP position is long 1.5 at an average entry of 50,000 USD

      Examples:
        | condition                                      | check           | code                      |
        | the trading state is REDUCE_ONLY               | trading state   | TRADING_STATE_REDUCING    |
        | the daily loss limit is 40 USD                 | daily loss limit | DAILY_LOSS_LIMIT_REACHED |
        | the position limit for BTC-PERP is 100,000 USD | position limit  | POSITION_LIMIT_EXCEEDED   |
        | the maximum leverage is 1x                     | max leverage    | LEVERAGE_EXCEEDS_MAXIMUM  |
        | the gross exposure cap is 100 % of equity      | gross exposure  | GROSS_EXPOSURE_EXCEEDS_CAP |
        | the net exposure cap is 100 % of equity        | net exposure    | NET_EXPOSURE_EXCEEDS_CAP  |

    @TC-IF-008
    Scenario Outline: The daily loss limit counts as reached at exactly the limit: mark <mark>, loss <loss>
      Given the trader holds 2 BTC-PERP bought at 50,000 USD
      When BTC-PERP is marked at <mark>
      And the trader buys 0.1 BTC-PERP at market
      Then the "daily loss limit" check <verdict> with <loss> against a limit of 5,000

      Examples:
        | mark         | loss  | verdict |
        | 47,525 USD   | 5,000 | fails   |
        | 47,525.5 USD | 4,999 | passes  |

    @TC-IF-008
    Scenario: Net exposure nets longs against shorts; gross does not
      Given the net exposure cap is 60 % of equity
      And the gross exposure cap is 100 % of equity
      And the trader holds 1 BTC-PERP bought at 50,000 USD
      When the trader sells 20 ETH-PERP at market
      Then the "net exposure" check passes with 0.5001 against a limit of 0.6
      And the "gross exposure" check fails with 1.1003 against a limit of 1

    @TC-IF-008
    Scenario: A loss through the daily limit while positions are open stops new risk, not the way out
      Given the trader holds 2 BTC-PERP bought at 50,000 USD
      When BTC-PERP is marked at 47,500 USD
      And the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the "daily loss limit" check with the code "DAILY_LOSS_LIMIT_REACHED"
      And the decision shows "daily loss limit" at 5,050 against a limit of 5,000
      When the trader sells 2 BTC-PERP at market
      Then the order passed the "daily loss limit" check
      And the trader has no BTC-PERP position

    @TC-IF-008
    Scenario: A reduce-only order that would add to the position is refused
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      When the trader sends a reduce-only order to buy 0.1 BTC-PERP at market
      Then the order is rejected by the "reduce-only order" check with the code "REDUCE_ONLY_WOULD_INCREASE_POSITION"
      When the trader sends a reduce-only order to sell 0.4 BTC-PERP at market
      Then the order passed every pre-trade check
      And the BTC-PERP position is long 0.6 at an average entry of 50,000 USD

    @TC-IF-008
    Scenario: Halted trading refuses every new order, even a reducing one, but cancels still go through
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the trader has a working order to buy 0.5 BTC-PERP at 49,000 USD
      And the trading state is HALTED
      When the trader sells 1 BTC-PERP at market
      Then the order is rejected by the "trading state" check with the code "TRADING_HALTED"
      When the trader cancels the working order
      Then the trader is told the cancel went through
      And the working order is cancelled, here and at the broker

    @TC-IF-008
    Scenario: A stale mark price blocks new risk; twice as stale, it blocks every new order
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      When 31 seconds pass without a new mark price
      And the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the "mark price age" check with the code "MARK_PRICE_STALE"
      When the trader sells 0.2 BTC-PERP at market
      Then the order passed the "mark price age" check
      When 30 seconds pass without a new mark price
      And the trader sells 0.2 BTC-PERP at market
      Then the order is rejected by the "mark price age" check with the code "MARK_PRICE_STALE"

    @TC-IF-008
    Scenario: A new trading day measures the daily loss from that day's equity
      Given the trader holds 2 BTC-PERP bought at 50,000 USD
      And BTC-PERP is marked at 47,500 USD
      When the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the "daily loss limit" check with the code "DAILY_LOSS_LIMIT_REACHED"
      When 1 day passes without a new mark price
      And BTC-PERP is marked at 47,500 USD
      And the trader buys 0.1 BTC-PERP at market
      Then the order passed the "daily loss limit" check
      And the decision shows "daily loss limit" at 0 against a limit of 4,747.5

    @TC-IF-009
    Scenario Outline: Risking <risk> % of equity with a stop at <stop> sizes the order at <quantity> BTC-PERP, limited by the <limited by>
      Given the position limit per symbol is <position limit> % of equity
      When the trader sizes a buy of BTC-PERP risking <risk> % of equity with a stop at <stop>
      Then the sized quantity is <quantity> BTC-PERP, limited by the <limited by>
      And the sized order is placed and filled for <quantity> BTC-PERP

      Examples:
        | risk | stop       | position limit | quantity | limited by     |
        | 1    | 49,000 USD | 200            | 1        | risk budget    |
        | 1    | 49,500 USD | 200            | 2        | risk budget    |
        | 0.5  | 49,750 USD | 200            | 2        | risk budget    |
        | 1    | 49,500 USD | 60             | 1.2      | position limit |
        | 0.33 | 48,700 USD | 200            | 0.253    | risk budget    |

    @TC-IF-010 @smoke
    Scenario: Exposure reserved by a working order counts against leverage
      Given the order book offers 10 BTC-PERP at 50,500 USD
      And the trader has a working order to buy 5 BTC-PERP at 50,000 USD
      And the market trades 2 BTC-PERP against the order
      When the trader buys 3 BTC-PERP at market
      Then the order is rejected by the "max leverage" check
      And the decision shows projected leverage 4.00x against a limit of 3.00x
      And no order for 3 BTC-PERP reached the broker

    @TC-IF-010
    Scenario: Leverage is checked again when the working order goes away
      Given the trader has a working order to buy 5 BTC-PERP at 49,000 USD
      And the market trades 2 BTC-PERP against the order
      When the trader cancels the working order
      And the trader buys 3 BTC-PERP at market
      Then the order passed every pre-trade check
      And the BTC-PERP position is long 5 at an average entry of 49,600 USD

    @TC-IF-010
    Scenario Outline: Leverage at the limit passes, one lot beyond it fails: <quantity> BTC-PERP gives <observed>x
      Given the per-order notional limit is 1,000,000 USD
      And the position limit per symbol is 1000 % of equity
      When the trader buys <quantity> BTC-PERP with a limit of 50,000 USD
      Then the "max leverage" check <verdict> with <observed> against a limit of 3

      Examples:
        | quantity | verdict | observed |
        | 3        | passes  | 1.5      |
        | 6        | passes  | 3        |
        | 6.001    | fails   | 3.0005   |

    @TC-IF-010
    Scenario: A reducing order passes even when leverage is already above a lowered limit
      Given the trader holds 4 BTC-PERP bought at 50,000 USD
      And the maximum leverage is 1x
      When the trader sells 1 BTC-PERP at market
      Then the order passed every pre-trade check
      And the BTC-PERP position is long 3 at an average entry of 50,000 USD

    @TC-IF-011 @smoke
    Scenario: Ten orders in flight at once cannot together break the gross exposure cap
      Given the gross exposure cap is 100 % of equity
      When the trader sends 10 orders at once, each to buy 0.5 BTC-PERP at 49,000 USD
      Then 4 orders are accepted and 6 are rejected by the "gross exposure" check
      And the broker holds exactly 4 open orders
      And the projected gross exposure is 100,000 USD

    @TC-IF-011
    Scenario: Market orders sent at once still respect the cap
      Given the gross exposure cap is 100 % of equity
      When the trader sends 6 orders at once, each to buy 0.6 BTC-PERP at market
      Then 3 orders are accepted and 3 are rejected by the "gross exposure" check
      And the BTC-PERP position is long 1.8 at an average entry of 50,000 USD
      And the BTC-PERP position is reconciled with the broker

    # The figure is the worst case over what may still fill: until the hedge fills, the
    # unhedged position (0.5001 of equity) is the worst the book can be.
    @TC-IF-012 @smoke
    Scenario Outline: Correlated positions count together, a hedge passes: correlation <correlation>, the trader <side> 20 ETH-PERP
      Given the correlated exposure cap is 100 % of equity
      And the correlation between BTC-PERP and ETH-PERP is <correlation>
      And the trader holds 1 BTC-PERP bought at 50,000 USD
      When the trader <side> 20 ETH-PERP at market
      Then the "correlated exposure" check <verdict> with <observed> against a limit of 1

      Examples:
        | correlation | side  | verdict | observed |
        | 0.9         | buys  | fails   | 1.0726   |
        | 0.9         | sells | passes  | 0.5001   |
        | 0           | buys  | passes  | 0.7812   |
        | -0.5        | buys  | passes  | 0.5569   |

    @TC-IF-012
    Scenario: Correlations that cannot hold together are refused
      Given the correlations are:
        | pair              | correlation |
        | BTC-PERP/ETH-PERP | 0.9         |
        | ETH-PERP/SOL-PERP | 0.9         |
        | BTC-PERP/SOL-PERP | 0.8         |
      When the risk officer tries to set the correlation between BTC-PERP and SOL-PERP to -0.9
      Then the settings change is refused because "not positive semidefinite"
      And the settings are still at version 2 with a maximum leverage of 3

    @TC-IF-012
    Scenario: A new correlation from the runtime settings changes the next decision
      Given the correlated exposure cap is 100 % of equity
      And the trader holds 1 BTC-PERP bought at 50,000 USD
      When the trader buys 20 ETH-PERP at market
      Then the order passed every pre-trade check
      When the risk officer sets the correlation between BTC-PERP and ETH-PERP to 0.9 because "desk correlation study"
      And the trader buys 1 ETH-PERP at market
      Then the order is rejected by the "correlated exposure" check

  Rule: 4.1.3 State stays consistent: here, at the broker, and in the log

    @TC-IF-013 @smoke
    Scenario: After a mix of outcomes the system, the broker and the log agree
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the trader buys 10 ETH-PERP at market
      And the trader buys 10 BTC-PERP at market
      Then the system's working orders are exactly the broker's open orders
      And every filled quantity agrees with the broker's
      And the rejected order never reached the broker
      And a projection rebuilt from the event log equals the live state

    @TC-IF-013
    Scenario: The same client order id sent twice makes one order, here and at the broker
      When the trader buys 1 BTC-PERP at market with the client order id "DESK-7"
      And the trader buys 1 BTC-PERP at market with the client order id "DESK-7"
      Then the second order is refused as bad input because "client order id DESK-7 is already in use"
      And the broker has exactly 1 order for the client order id "DESK-7"
      And the BTC-PERP position is long 1 at an average entry of 50,000 USD

    @TC-IF-014 @smoke
    Scenario: A position that flips through zero stays in step with the broker
      When the trader buys 1 BTC-PERP at market
      And BTC-PERP is marked at 51,000 USD
      And the trader sells 1.5 BTC-PERP at market
      Then the BTC-PERP position is short 0.5 at an average entry of 51,000 USD
      And the realized P&L on BTC-PERP is 936.75 USD after fees, the same as the broker's
      And the BTC-PERP position was reconciled 2 times, every time matched
      And the account cash agrees with the broker's balance

    @TC-IF-014
    Scenario: A fill the broker reports after it confirmed the cancel is still applied
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      When the market trades 0.3 BTC-PERP against the order just as the trader cancels it
      Then the order is cancelled with 0.3 of 1 filled
      And the BTC-PERP position is long 0.3 at an average entry of 49,000 USD
      And the BTC-PERP position is reconciled with the broker

    @TC-IF-014
    Scenario: A trade the broker never reported shows up as a mismatch at the next reconciliation
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the market trades 0.2 BTC-PERP against the order, but the broker's report of it is lost
      When the trader buys 0.5 BTC-PERP at market
      Then the BTC-PERP position is reconciled as mismatched: 0.5 here, 0.7 at the broker
      And the mismatch is logged at level "error"

    @TC-IF-014
    Scenario: A fill reported at another price than the broker booked shows up as a mismatch of average price
      Given the broker will report the next fill at 49,000 USD
      When the trader buys 1 BTC-PERP at market
      Then the BTC-PERP position is reconciled as mismatched: 1 here, 1 at the broker
      And the reconciliation shows an average entry of 49,000 here against 50,000 at the broker

    @TC-IF-014
    Scenario: A fill for more than is left on the order is refused and the position is not touched
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      When the broker reports a fill of 1.5 BTC-PERP for the working order
      Then the fill is refused as "Overfill"
      And the trader has no BTC-PERP position

    @TC-IF-014
    Scenario: A duplicate fill from the broker is refused and the position is not doubled
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the market trades 0.4 BTC-PERP against the order
      When the broker sends the same fill again
      Then the fill is refused as "DuplicateFill"
      And the BTC-PERP position is long 0.4 at an average entry of 49,000 USD

    @TC-IF-014
    Scenario: A fill the broker reports for an order the risk manager rejected is refused: that order never reached the broker
      When the trader buys 6 BTC-PERP with a limit of 50,000 USD
      Then the order is rejected by the "order notional" check
      When the broker reports a fill of 6 BTC-PERP for the rejected order
      Then the fill is refused as "IllegalTransition"
      And the trader has no BTC-PERP position
      And the account cash is 100,000 USD
      And no order reached the broker

    @TC-IF-015 @smoke
    Scenario: Tightened limits apply to new orders at once; working orders stay as they are
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      When the risk officer sets the position limit per symbol to 30 % of equity because "volatility review"
      Then the settings are at version 2, changed by the risk officer for "volatility review"
      And the working order is for 1 at 49,000 USD, here and at the broker
      When the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the "position limit" check under settings version 2
      When the trader modifies the working order to 1.2 at 49,000 USD
      Then the modification is refused by the "position limit" check

    @TC-IF-015
    Scenario: Under a tightened limit an order can still be made smaller
      Given the trader has a working order to buy 2 BTC-PERP at 49,000 USD
      When the risk officer sets the position limit per symbol to 30 % of equity because "volatility review"
      And the trader modifies the working order to 1 at 49,000 USD
      Then the modification passed the "position limit" check
      And the working order is for 1 at 49,000 USD, here and at the broker

    @TC-IF-015
    Scenario: An invalid settings change is refused and the limits in force do not move
      When the risk officer tries to set the maximum leverage to "-1"
      Then the settings change is refused because "must not be negative"
      And the settings are still at version 1 with a maximum leverage of 3

    @TC-IF-016 @smoke
    Scenario: Every step of an order's life is in the log, in order, chained by hashes
      When the trader buys 1 BTC-PERP at market
      Then the event log for the order reads:
        | event             |
        | OrderRequested    |
        | RiskCheckPassed   |
        | OrderSubmitted    |
        | OrderAcknowledged |
        | OrderFilled       |
      And the position reconciliation after the fill is in the log
      And the event log's sequence numbers have no gaps and its hash chain verifies

    @TC-IF-016
    Scenario: An edited event is detected when the log is opened
      When the trader buys 1 BTC-PERP at market
      And someone edits the recorded fill price in the event log to 40,000
      Then opening the event log fails with "EventStoreCorrupted"

    @TC-IF-017 @smoke
    Scenario: After a crash a new instance rebuilds the same state and picks up what happened meanwhile
      Given the trader buys 1 BTC-PERP at market
      And the trader has a working order to buy 2 ETH-PERP at 2,900 USD
      And the risk officer sets the maximum leverage to 2x because "overnight"
      When the trading system crashes
      And while it is down the market trades 1.5 ETH-PERP against the order
      And a new trading system instance starts on the same event log
      Then it has the same orders, positions, balances and settings as before the crash
      When it recovers with the broker
      Then 1 fill is recovered from the broker
      And the ETH-PERP position is long 1.5 at an average entry of 2,900 USD
      And every position is reconciled with the broker
      And the account cash agrees with the broker's balance
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD

    @TC-IF-017 @wire-only
    Scenario: A restart reads the broker's whole fill history in pages, and the next restart only what is new since
      Given the trader has a working order to buy 2 BTC-PERP at 49,000 USD
      When the trading system crashes
      And while it is down the market trades 0.001 BTC-PERP against the order 1000 times
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      Then 1000 fills are recovered from the broker
      And the broker was asked for its fill history in 5 pages from cursor 0
      And the BTC-PERP position is long 1 at an average entry of 49,000 USD
      And every position is reconciled with the broker
      And the account cash agrees with the broker's balance
      When the trading system crashes
      And while it is down the market trades 0.001 BTC-PERP against the order 3 times
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      Then 3 fills are recovered from the broker
      And the broker was asked for its fill history in 1 page from cursor 1000
      And the BTC-PERP position is long 1.003 at an average entry of 49,000 USD
      And every position is reconciled with the broker
      And the account cash agrees with the broker's balance

    @TC-IF-017
    Scenario: A cancel still on its way when the system crashed is settled by what the broker shows
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the broker will not answer the next request
      When the trader asks to cancel the working order without waiting for the answer
      And the trading system crashes
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      Then the working order is for 1 at 49,000 USD, here and at the broker
      And the log says the cancel was "not confirmed before the restart"
      When the trader cancels the working order
      Then the order is cancelled with 0 of 1 filled

    @TC-IF-017
    Scenario: An order lost on its way to the broker when the system crashed is closed by the first recovery after it can no longer arrive
      Given the broker will not answer the next request
      When the trader sends an order to buy 1 BTC-PERP at market without waiting for the answer
      And the trading system crashes
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      Then the order is still in flight, its 1 BTC-PERP reserved
      When 62 seconds pass, more than the broker's receive window of 60 seconds and its clock's tolerance of 1 second
      And it recovers with the broker
      Then the order in flight is closed because it "can no longer arrive", nothing of it filled
      And the trader has no BTC-PERP position
      And the projected leverage is 0.00x

    @TC-IF-017
    Scenario: An order lost on its way is not closed while the broker's clock may lag: past the receive window but within the clock's tolerance it stays in flight and reserved
      Given the broker will not answer the next request
      When the trader sends an order to buy 1 BTC-PERP at market without waiting for the answer
      And the trading system crashes
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      And 60.5 seconds pass, past the broker's receive window of 60 seconds but within its clock's tolerance of 1 second
      And it recovers with the broker
      Then the order is still in flight, its 1 BTC-PERP reserved
      And the projected leverage is 0.50x

    @TC-IF-017 @wire-only
    Scenario: An order still on its way when the system crashed stays in flight and reserved, and fills when its request lands
      Given the network holds every request to the broker
      When the trader sends an order to buy 4 BTC-PERP at market without waiting for the answer
      And the trading system crashes with the order's request still on the network
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      Then the order is still in flight, its 4 BTC-PERP reserved
      When the trader buys 2.5 BTC-PERP at market
      Then the order is rejected by the "max leverage" check
      When the held request reaches the broker
      Then the order in flight is filled at an average price of 50,000 USD
      And the BTC-PERP position is long 4 at an average entry of 50,000 USD
      And the BTC-PERP position is reconciled with the broker

    @TC-IF-017 @wire-only
    Scenario: A limit order still on its way when the system crashed is found resting at the broker by the next synchronisation
      Given the network holds every request to the broker
      When the trader sends an order to buy 1 BTC-PERP at 49,000 USD without waiting for the answer
      And the trading system crashes with the order's request still on the network
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      Then the order is still in flight, its 1 BTC-PERP reserved
      When the held request reaches the broker, but the broker's acknowledgement of it is lost on the user channel
      Then the system resynchronised with the broker after the "sequence gap", recovering 0 fills
      And the system's working orders are exactly the broker's open orders
      And the projected leverage is 0.50x

    @TC-IF-017 @wire-only
    Scenario: An order whose request can no longer arrive is closed by the next recovery, and the broker refuses it if it does
      Given the network holds every request to the broker
      When the trader sends an order to buy 4 BTC-PERP at market without waiting for the answer
      And the trading system crashes with the order's request still on the network
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      Then the order is still in flight, its 4 BTC-PERP reserved
      When 62 seconds pass, more than the broker's receive window of 60 seconds and its clock's tolerance of 1 second
      And it recovers with the broker
      Then the order in flight is closed because it "can no longer arrive", nothing of it filled
      And the projected leverage is 0.00x
      When the held request reaches the broker
      Then the broker refused the late request with "401 TIMESTAMP_OUTSIDE_WINDOW" and holds no order for it
      And the trader has no BTC-PERP position

    @TC-IF-017 @wire-only
    Scenario: An order still on its way is cancelled by its client order id before it arrives, and the broker refuses it when it lands
      Given the network holds every request to the broker
      When the trader sends an order to buy 4 BTC-PERP at market without waiting for the answer
      And the trading system crashes with the order's request still on the network
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      And the trader cancels the order in flight
      Then the order in flight is cancelled before it reached the broker
      And the projected leverage is 0.00x
      When the held request reaches the broker
      Then the broker refused the late request with "400 CANCELLED_BEFORE_ARRIVAL" and holds no order for it
      And the trader has no BTC-PERP position
