@reconciliation
Feature: Reconciliation (plan 4.5)
  The system's books are compared with the broker's: orders, then fills, then positions, then cash,
  the portfolio, the leverage the broker holds and its clock. The system reconciles at start-up
  before anything trades, after a reconnect, on a schedule and when an operator asks. Every
  difference is a row of the run's report with its class, the policy applied and what became of it.
  What no policy can decide goes to a manual queue; while it has items the trading state is at most
  REDUCE_ONLY, and only a risk officer decides them.

  Background:
    Given an account funded with 100,000 USD
    And the market is:
      | symbol   | mark   |
      | BTC-PERP | 50,000 |
      | ETH-PERP | 3,000  |
    And the risk limits in force are:
      | setting                                         | value   |
      | max leverage (x)                                | 3       |
      | max order notional (USD)                        | 250,000 |
      | max position per symbol (% of equity)           | 300     |
      | max gross exposure (% of equity)                | 300     |
      | max net exposure (% of equity)                  | 300     |
      | max correlated exposure (% of equity)           | 300     |
      | reconciliation: first retry after (ms, doubling) | 1       |

  Rule: 4.5.1 The system's books equal the broker's: portfolio, positions, balances, orders and trades

    @TC-RC-001 @smoke
    Scenario: After a trade the portfolio reconciles: equity, margin used and unrealized P&L equal the broker's at the same marks
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And BTC-PERP is marked at 51,000 USD
      When the operator asks for a reconciliation
      Then the run is complete and found no discrepancy
      And the run's portfolio reads:
        | figure         | ours       | broker's   |
        | cash           | 99,975     | 99,975     |
        | unrealized P&L | 1,000      | 1,000      |
        | equity         | 100,975    | 100,975    |
        | margin used    | 5,100      | 5,100      |

    @TC-RC-001
    Scenario: A funding payment the system was not told of shows in the portfolio and goes to the queue as a balance drift
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the broker debits 150 USD from the wallet for "funding payment"
      When the operator asks for a reconciliation
      Then the run found:
        | class              | subject  | ours   | broker's | policy   | resolution              |
        | balance drift      | USD      | 99975  | 99825    | escalate | escalated as item R-1   |
        | portfolio mismatch | equity   | 99975  | 99825    | report   | follows from the rows   |

    @TC-RC-002 @smoke
    Scenario: A fill whose report was lost on the way is applied from the broker's history
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the broker fills 0.4 of the working order at 49,000 USD and its report is lost
      When the operator asks for a reconciliation
      Then the run found:
        | class        | subject  | ours | broker's       | policy | resolution                        |
        | missing fill | BTC-PERP | none | 0.4 @ 49000    | infer  | applied from the broker's history |
      And the BTC-PERP position is long 0.4 at an average entry of 49,000 USD
      And the BTC-PERP position equals the broker's

    @TC-RC-002
    Scenario: A fill the broker counts but its history lacks is inferred from the order's totals
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the broker counts a fill of 0.3 of the working order at 49,900 USD that neither its reports nor its history show
      When the operator asks for a reconciliation
      Then the run found a "missing fill" for the working order handled by "infer"
      And the run's "missing fill" says "inferred fill inferred-"
      And the BTC-PERP position is long 0.3 at an average entry of 49,900 USD
      And the run's "balance drift" says "escalated as item R-1"

    @TC-RC-003
    Scenario Outline: A cash difference within the tolerance is tolerated and recorded; beyond it, it goes to the queue
      Given the broker <moves> <amount> USD <direction> the wallet for "fee rebate"
      When the operator asks for a reconciliation
      Then the run found a "<class>" for USD handled by "<policy>"
      And the number of open reconciliation items is <items>

      Examples: the tolerance is 0.01 USD
        | moves   | amount | direction | class            | policy   | items |
        | credits | 0.01   | to        | within tolerance | tolerate | 0     |
        | debits  | 0.01   | from      | within tolerance | tolerate | 0     |
        | credits | 0.02   | to        | balance drift    | escalate | 1     |
        | debits  | 0.02   | from      | balance drift    | escalate | 1     |

    @TC-RC-004 @smoke
    Scenario: An order the broker cancelled without a report is closed as the broker has it
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the broker cancels the working order and its report is lost
      When the operator asks for a reconciliation
      Then the run found a "status mismatch" for the working order handled by "adopt"
      And the working order is cancelled, here and at the broker

    @TC-RC-004
    Scenario: An order the broker does not know is asked for again on each run and closed after the third miss
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the broker loses the working order
      When the system reconciles with the broker 2 times
      Then the last run's "order unknown at broker" says "miss 2 of 3"
      And the working order is still working here
      When the operator asks for a reconciliation
      Then the last run's "order unknown at broker" says "closed after 3 misses"
      And the working order is closed here with the reason "not known at the broker"

    @TC-RC-004
    Scenario Outline: An order open at the broker that the system never sent is <handled>, by policy
      Given the reconciliation policy for "order unknown here" is "<policy>"
      And the broker holds an order "EXT-1" to buy 0.5 ETH-PERP at 2,900 USD that the system never sent
      When the operator asks for a reconciliation
      Then the run found a "order unknown here" for EXT-1 handled by "<policy>"
      And the order EXT-1 is <here> here and <there> at the broker

      Examples:
        | handled                  | policy | here                 | there     |
        | adopted as external      | adopt  | working as external  | open      |
        | cancelled at the broker  | cancel | unknown              | cancelled |

    @TC-RC-005
    Scenario: A trade the venue corrected is a dispute for a risk officer, with the evidence
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the venue corrects the price of the last order's trade to 50,100 USD
      When the operator asks for a reconciliation
      Then the run found a "trade mismatch" for the last order's trade handled by "escalate"
      And the row is marked as a dispute
      And the reconciliation queue holds item "R-1" for a "trade mismatch"
      And accepting the broker's value for item "R-1" would set BTC-PERP to 1 at 50,100 USD

    @TC-RC-005
    Scenario: A fill in the broker's history for an order the system never had is quarantined, not applied
      Given the broker holds an order "EXT-2" to buy 0.2 BTC-PERP at 49,000 USD that the system never sent
      And the reconciliation policy for "order unknown here" is "escalate"
      And the broker fills 0.2 of order "EXT-2" at 49,000 USD
      When the operator asks for a reconciliation
      Then the run found a "fill for unknown order" for EXT-2 handled by "quarantine"
      And the system holds no BTC-PERP position

  Rule: 4.5.2 The log, telemetry, settings, risk figures and times are consistent with each other

    @TC-RC-006 @smoke
    Scenario: The log's hash chain verifies and its replay equals the live state
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the trader has a working order to sell 0.5 BTC-PERP at 52,000 USD
      When the system checks its data consistency
      Then the consistency check "event log hash chain" passed
      And the consistency check "replay equals the live state" passed

    @TC-RC-007
    Scenario: Telemetry's counters agree with the events of each stage
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the trader buys 10 BTC-PERP at market
      When the system checks its data consistency
      Then the consistency check "telemetry agrees with the log" passed
      And its detail reads "orders.submitted 1 / OrderSubmitted 1"
      And its detail reads "orders.rejected.risk 1 / OrderRejected 1"

    @TC-RC-008
    Scenario: The live settings equal their replay, and a leverage the broker holds differently goes to the queue
      Given the broker holds a leverage of 10x for ETH-PERP
      When the system checks its data consistency
      And the operator asks for a reconciliation
      Then the consistency check "runtime settings equal their replay" passed
      And the run found a "leverage mismatch" for ETH-PERP handled by "escalate"

    @TC-RC-009
    Scenario: The risk manager's exposure and reservations equal a recomputation from positions and working orders
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the trader has a working order to buy 0.5 BTC-PERP at 49,000 USD
      When the system checks its data consistency
      Then the consistency check "risk figures equal a recomputation" passed
      And its detail reads "1 reservation(s)"

    @TC-RC-010
    Scenario: Events run forward in time and sequence, and each fill arrived within the tolerance of its broker time
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      When the system checks its data consistency
      Then the consistency check "event times in order" passed
      And the consistency check "fills' broker time against receipt" passed

    @TC-RC-010
    Scenario Outline: The broker's clock offset is measured; beyond 5 seconds it is alerted before signed requests are refused
      Given the trading system signs its requests with a clock <seconds> seconds ahead
      When the operator asks for a reconciliation
      Then the run measured the broker's clock at <offset> ms from ours
      And the clock offset <alerted>

      Examples: the broker refuses requests signed more than 60 s off
        | seconds | offset | alerted          |
        | 4       | -4000  | is not alerted   |
        | 6       | -6000  | is alerted       |

  Rule: 4.5.3 Disputes, missing data, corruption, retries and manual intervention

    @TC-RC-011 @smoke
    Scenario: The broker busts a trade the system booked: an error for a person, never corrected silently
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the venue busts the last order's trade
      When the operator asks for a reconciliation
      Then the run found a "unknown fill" for the last order's trade handled by "escalate"
      And the row is marked as a dispute
      And the run's "broker filled less" says "part of item R-1"
      And the run's "quantity mismatch" says "follows from item R-1"
      And item "R-1" holds the evidence of our fills and the broker's
      When the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the "trading state" check
      And the "trading state" check notes "1 reconciliation item waiting for a risk officer (R-1)"

    @TC-RC-012 @wire-only
    Scenario: Fills booked while the system was down are read from the broker's history at start-up, before anything trades
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the trading system crashes
      And while it is down the market trades 0.2 BTC-PERP against the order 3 times
      When a new trading system instance starts on the same event log
      Then the start-up reconciliation applied 3 fills from the broker's history
      And the BTC-PERP position is long 0.6 at an average entry of 49,000 USD
      And the BTC-PERP position equals the broker's

    @TC-RC-012
    Scenario: A page of the broker's history with a hole in it is read again, and nothing is invented
      Given the trader holds 0.1 BTC-PERP bought at 50,000 USD
      And the trader holds 0.1 BTC-PERP bought at 50,000 USD
      And the trader holds 0.1 BTC-PERP bought at 50,000 USD
      And the broker's next page of fill history leaves out 2 fills
      When the operator asks for a reconciliation
      Then the run is complete and found no discrepancy
      And the run's trades part notes "lacked 2 fill(s): read again"

    @TC-RC-013 @smoke
    Scenario: An edited log is refused on open, kept aside untouched, and a new one is rebuilt from the broker's books
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And someone edits the recorded fill price in the event log to 40,000
      Then opening the event log fails with "EventStoreCorrupted"
      When the operator rebuilds the log from the broker's books
      Then the corrupted log is kept in quarantine, byte for byte as it was
      When a new trading system instance starts on the same event log
      Then the rebuilt log names the quarantined file and the edited event as the first bad one
      And the BTC-PERP position is long 1 at an average entry of 50,000 USD
      And the BTC-PERP position equals the broker's

    @TC-RC-014
    Scenario: A failed broker query is retried with backoff and the run completes
      Given the broker fails the next 1 position queries
      When the operator asks for a reconciliation
      Then the run is complete and found no discrepancy

    @TC-RC-014
    Scenario: A part the broker cannot answer is left unseen, never read as flat, and 3 incomplete runs in a row raise an alert
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the broker fails the next 100 position queries
      When the system reconciles with the broker 3 times
      Then the last run is incomplete: it could not see the positions
      And the last run found no "quantity mismatch"
      And an alert says "reconciliation could not see positions, portfolio in 3 runs in a row"

    @TC-RC-015 @smoke
    Scenario Outline: A risk officer decides a queue item; the decision is on record and trading comes back
      Given the broker debits 500 USD from the wallet for "exchange fee correction"
      And the operator asks for a reconciliation
      When the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the "trading state" check
      When a "trader" named "dana" tries to decide item "R-1"
      Then the decision is refused with "NotPermitted" and the refusal is on record
      When the risk officer decides item "R-1": <decision>, because "<reason>"
      Then the number of open reconciliation items is 0
      And the account cash is <cash> USD
      And the next reconciliation finds <next>
      When the trader buys 0.1 BTC-PERP at market
      Then the order passed every pre-trade check

      Examples:
        | decision      | reason                            | cash    | next                    |
        | accept broker | the venue's fee schedule changed  | 99,500  | no discrepancy          |
        | keep ours     | the venue will refund it          | 100,000 | the same difference, decided |
        | adjust 99,700 | half refunded, half owed          | 99,700  | the same difference, decided |

    @TC-RC-015
    Scenario: A second risk officer's decision on an item already decided finds no open item and is refused on record; the item was decided once
      Given the broker debits 500 USD from the wallet for "exchange fee correction"
      And the operator asks for a reconciliation
      When the risk officer decides item "R-1": accept broker, because "the venue's fee schedule changed"
      And a second risk officer decides item "R-1": keep ours, because "the venue will refund it"
      Then the second decision is refused with "UnknownReconciliationItem" and the refusal is on record
      And item "R-1" was decided once, by the first decision
      And the number of open reconciliation items is 0
      And the account cash is 99,500 USD
      And the next reconciliation finds no discrepancy
