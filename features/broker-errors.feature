@broker-errors @wire-only
Feature: Broker errors and their propagation (plan 4.3)
  The broker is reached over the wire: signed REST requests and a WebSocket user channel, through
  a network that can be slow, lossy or down. Every error the broker or the network produces has a
  type, keeps its cause as it travels from the broker gateway through the execution engine and
  the coordinator to the risk manager, is counted in telemetry and recorded in the event log, and
  never changes a position or a balance by itself. An order is never placed twice.

  Background:
    Given an account funded with 100,000 USD
    And the market is:
      | symbol   | mark   |
      | BTC-PERP | 50,000 |
      | ETH-PERP | 3,000  |
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

  Rule: 4.3.1 Broker communication failures

    @TC-BE-001 @smoke
    Scenario: The network drops while an order works: the fill made meanwhile is applied once after the reconnect
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      When the network to the broker goes down
      And the market trades 1 BTC-PERP against the order while the network is down
      And the network to the broker comes back
      Then the user channel was lost and connected again
      And the system resynchronised with the broker after the "reconnect", recovering 1 fill
      And the order is filled at an average price of 49,000 USD
      And the trade was applied exactly once
      And the BTC-PERP position is reconciled with the broker

    @TC-BE-001
    Scenario: The user channel is cut just after an order is sent: the order fills once and the position agrees
      When the broker cuts the user channel
      And the trader buys 0.5 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
      And the trade was applied exactly once
      And the user channel is connected
      And the BTC-PERP position is reconciled with the broker

    @TC-BE-002
    Scenario: Over the request quota, the order waits as long as the broker's Retry-After says and goes through once
      Given the broker allows 2 requests at once per key, refilled at 1 a second
      And the trader's request quota is used up
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
      And the gateway retried the "submit" after "RateLimited", waiting at least 1,000 ms as Retry-After asked
      And the broker answered "429 RATE_LIMITED" with 0 requests left in the quota
      And the broker has exactly 1 order for the client order id of the last order

    @TC-BE-002
    Scenario: Rate limited on every attempt: the order is rejected, never reaches the broker, and is not sent a fourth time
      Given the broker will answer the next 3 requests with "429 RATE_LIMITED"
      When the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the broker with the code "RATE_LIMITED"
      And the broker answered 3 order requests and none reached its order book
      And the projected leverage is 0.00x

    @TC-BE-003 @smoke
    Scenario Outline: A request the broker cannot authenticate is refused once, not retried, and nothing is placed: <case>
      Given the trading system signs its requests <credentials>
      When the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the broker with the code "<code>"
      And the error is recorded as "Unauthorized" with HTTP status <status>
      And the broker answered 1 order requests and none reached its order book
      And the API secret appears nowhere in the logs or the event log

      Examples:
        | case                         | credentials                           | code                     | status |
        | wrong secret                 | with a wrong secret                   | BAD_SIGNATURE            | 401    |
        | unknown key                  | with a key the broker does not know   | UNAUTHORIZED             | 401    |
        | clock 61 s ahead             | with a clock 61 seconds ahead         | TIMESTAMP_OUTSIDE_WINDOW | 401    |
        | key without trading rights   | with a read-only key                  | PERMISSION_DENIED        | 403    |

    @TC-BE-003
    Scenario: A signed request replayed by someone else is refused: its nonce was already used
      When the trader buys 0.1 BTC-PERP at market
      And someone replays the trader's signed order request
      Then the replay is refused with "401 NONCE_REUSED"
      And the broker received the order request once
      And the API secret cannot be worked out from the seed printed for the run

    @TC-BE-004
    Scenario: During maintenance the order fails after the retries Retry-After allows, and goes through once maintenance ends
      Given the broker is in maintenance for the next 1 second
      When the trader buys 0.1 BTC-PERP at market
      Then the broker's status endpoint says "maintenance"
      And the order failed with a "BrokerUnavailable" error
      And the gateway retried the "submit" 2 times, waiting at least 1,000 ms each as Retry-After asked
      And the error is recorded as "BrokerUnavailable" with HTTP status 503
      And no order reached the broker
      When the broker's maintenance ends
      And the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
      And the broker's status endpoint says "normal"

    @TC-BE-005
    Scenario: The broker's answers are slower than the request timeout: the order stays in flight, reserved, and is found once the network recovers
      Given the network delays everything the broker sends by 6,000 ms, longer than the system's request timeout of 5,000 ms
      When the trader buys 1 BTC-PERP at market
      Then the order is in flight after a "Timeout" error
      And the projected leverage is 0.50x
      When the network delay is removed
      And the system resolves its orders in flight
      Then the order is filled at an average price of 50,000 USD
      And the broker received the order request once
      And the BTC-PERP position is reconciled with the broker

    @TC-BE-005
    Scenario: A slow, narrow and choppy network that stays under the timeout costs time, not orders
      Given the network to the broker adds 20 ms ± 10 ms each way, carries 50 KB/s and cuts every write into pieces of about 10 bytes
      When the trader sends the basket:
        | side | quantity | symbol   |
        | buy  | 1        | BTC-PERP |
        | buy  | 10       | ETH-PERP |
        | sell | 0.5      | BTC-PERP |
      Then every order in the basket is filled
      And every position is reconciled with the broker
      And no broker error and no refused message was recorded
      And the network carried the traffic in pieces of at most 20 bytes

    @TC-BE-006 @smoke
    Scenario Outline: An unreadable answer to an order is a protocol error: the order is looked up, not sent twice (<answer>)
      Given the broker will answer the next order with <answer>
      When the trader buys 1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
      And the error is recorded as "ProtocolError"
      And the broker received the order request once

      Examples:
        | answer                                                        |
        | "{\"order\":"                                                 |
        | "{\"order\":{\"clientOrderId\":\"X\",\"quantity\":12}}"       |
        | "[1,2,3]"                                                     |
        | "{\"order\":{\"clientOrderId\":\"SOMEONE-ELSE\",\"brokerOrderId\":\"SIM-77\",\"symbol\":\"BTC-PERP\",\"side\":\"buy\",\"type\":\"market\",\"quantity\":\"1\",\"filledQuantity\":\"1\",\"averageFillPrice\":\"50000\",\"status\":\"filled\"},\"duplicate\":false}" |

    @TC-BE-006
    Scenario: The broker booked the order but answered HTTP 500: the order is looked up by its client order id, never sent again
      Given the broker will carry out the next order but answer it with HTTP 500
      When the broker cuts the user channel
      And the trader buys 1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
      And the error is recorded as "BrokerUnavailable" with HTTP status 500
      And the gateway did not retry the "submit"
      And the broker received the order request once

    @TC-BE-006
    Scenario Outline: A bad message on the user channel is refused with a typed error and changes nothing (<message>)
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      When the broker sends on the user channel <message>
      Then the message is refused as "<kind>"
      And the trader's BTC-PERP position and cash are as they were

      Examples:
        | message                                    | kind          |
        | malformed JSON                             | ProtocolError |
        | a fill whose quantity is a number          | ProtocolError |
        | a fill with a negative price               | ProtocolError |
        | an oversized frame                         | ProtocolError |
        | a fill for an order the system never sent  | UnknownOrder  |

  Rule: 4.3.2 An error keeps its cause as it crosses the layers

    @TC-BE-007 @smoke
    Scenario: A margin refusal travels from the broker to the risk manager, which releases the reserved exposure
      Given the broker will refuse the next order with "INSUFFICIENT_MARGIN"
      When the trader buys 1 BTC-PERP at market
      Then the order is rejected by the broker with the code "INSUFFICIENT_MARGIN"
      And the error's path through the layers reads:
        | layer                 | saw                                                  |
        | broker gateway        | BrokerRejected, HTTP 400, INSUFFICIENT_MARGIN        |
        | execution engine      | the broker proved it did not take the order          |
        | execution coordinator | place returned rejected (stage broker)               |
        | risk manager          | released the 50,000.00 USD the order had reserved    |
      And the cause chain is "BrokerRejected" from the coordinator down to the broker gateway
      And the projected leverage is 0.00x

    @TC-BE-008
    Scenario: A garbled order update is refused and the order's status is read again from the broker
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the broker will garble its next report
      When the market trades 1 BTC-PERP against the order
      Then the message is refused as "ProtocolError"
      And the system resynchronised with the broker after the "rejected message", recovering 1 fill
      And the order is filled at an average price of 49,000 USD

    @TC-BE-008
    Scenario: An order update lost without a trace is noticed as a sequence gap and recovered
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      When the market trades 0.4 BTC-PERP against the order, but its report is skipped in the sequence
      And the market trades 0.6 BTC-PERP against the order
      Then a sequence gap was detected on the user channel
      And the order is filled at an average price of 49,000 USD
      And the trade was applied exactly once

    @TC-BE-009 @smoke
    Scenario: A failed position query skips the reconciliation, never reads as flat, and the next one matches
      Given the broker will answer the next 3 position queries with "500 INTERNAL"
      When the trader buys 1 BTC-PERP at market
      Then the BTC-PERP reconciliation was skipped after a "BrokerUnavailable" error
      And the BTC-PERP position is long 1 at an average entry of 50,000 USD
      And the error's path ends at the "position reconciler"
      When the positions are reconciled again
      Then the BTC-PERP position is reconciled with the broker

    @TC-BE-010
    Scenario Outline: A failed balance query leaves the cash as it was: <failure>
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the broker will answer the next <queries> balance queries with <failure>
      When the system reconciles the balance with the broker
      Then the balance check is skipped and the cash stays at 99,975 USD
      And the error is recorded as "<kind>"
      When the system reconciles the balance with the broker
      Then the balance matches the broker's at 99,975 USD

      Examples:
        | queries | failure                              | kind              |
        | 3       | "503 UNAVAILABLE"                    | BrokerUnavailable |
        | 1       | "{\"balance\":{\"cash\":12}}"        | ProtocolError     |

    @TC-BE-008
    Scenario: The last order update is lost: the next heartbeat names a later report, so the gap is noticed without waiting for more trading
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      When the market trades 1 BTC-PERP against the order, but its report is skipped in the sequence
      Then a sequence gap was detected on the user channel
      And the order is filled at an average price of 49,000 USD
      And the trade was applied exactly once

    @TC-BE-008
    Scenario Outline: An order update that arrives again under an old sequence number is recorded and dropped (<which> update)
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the market trades 1 BTC-PERP against the order
      When the broker sends <which> order update again, under its old sequence number
      Then an out-of-order message was recorded on the user channel and no fill was refused
      And the order is filled at an average price of 49,000 USD
      And the trade was applied exactly once

      Examples:
        | which      |
        | an earlier |
        | the last   |

    @TC-BE-008
    Scenario: A heartbeat naming an absurdly high sequence number is recorded as an anomaly and does not blind the user channel
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      When the broker sends a heartbeat saying its last report was number 9,007,199,254,740,991
      Then an implausible sequence number was recorded on the user channel and the system resynchronised with the broker
      When the market trades 1 BTC-PERP against the order
      Then the order is filled at an average price of 49,000 USD
      And the trade was applied exactly once

    @TC-BE-008
    Scenario: A fill sent under a sequence number already used by another update is not dropped as a repeat: the system resynchronises and applies it
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the market trades 0.4 BTC-PERP against the order
      When the market trades 0.6 BTC-PERP against the order, but its report reuses the last sequence number
      Then an out-of-order update that is not a repeat was recorded on the user channel and the system resynchronised with the broker
      And the order is filled at an average price of 49,000 USD
      And the trade was applied exactly once
      And the BTC-PERP position is reconciled with the broker

    @TC-BE-010
    Scenario: Cash the broker moved without telling the system is reported as a mismatch, and the local books are not overwritten
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the broker debits 25 USD the system never heard of
      When the system reconciles the balance with the broker
      Then the balance is mismatched: 99,975 USD here, 99,950 USD at the broker

    @TC-BE-011 @TC-BE-012 @smoke
    Scenario: Each broker error is one counter increment and one error event with its cause chain, and the log still verifies
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And the broker will answer the next 3 requests with "429 RATE_LIMITED"
      When the trader buys 0.1 BTC-PERP at market
      And the broker will refuse the next order with "MIN_NOTIONAL"
      And the trader buys 0.2 BTC-PERP at market
      And the broker will answer the next 3 position queries with "500 INTERNAL"
      And the positions are reconciled again
      Then telemetry and the event log count the same broker errors:
        | kind              | count |
        | RateLimited       | 1     |
        | BrokerRejected    | 1     |
        | BrokerUnavailable | 1     |
      And every broker error event names the broker, the operation, the kind and its cause chain
      And the event log's sequence numbers have no gaps and its hash chain verifies

    @TC-BE-012
    Scenario: Broker errors are still in the log after a restart
      Given the broker will refuse the next order with "INSUFFICIENT_MARGIN"
      When the trader buys 1 BTC-PERP at market
      And the trading system crashes
      And a new trading system instance starts on the same event log
      Then the log holds 1 broker error of kind "BrokerRejected" with the code "INSUFFICIENT_MARGIN"

  Rule: 4.3.3 Recovery from broker errors

    @TC-BE-013
    Scenario Outline: The user channel recovers by itself after <fault>
      When <fault happens>
      Then the user channel was lost and connected again
      And the system resynchronised with the broker after the "reconnect", recovering 0 fills
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD

      @smoke
      Examples: a reset the channel sees at once
        | fault               | fault happens                                   |
        | a connection reset  | the network resets every connection to the broker |

      Examples: a silence the channel has to wait out
        | fault               | fault happens                                   |
        | silent heartbeats   | the broker stops sending heartbeats until the channel is declared dead |

    @TC-BE-014
    Scenario: An order lost on its way is sent again under the same client order id once the broker can be asked
      Given the network swallows everything sent to the broker
      When the trader buys 1 BTC-PERP at market
      Then the order is in flight after a "Timeout" error
      When the network stops swallowing
      And the system resolves its orders in flight
      Then the order was resubmitted under the same client order id
      And the order is filled at an average price of 50,000 USD
      And the broker has exactly 1 order for the client order id of the last order

    @TC-BE-015 @smoke
    Scenario: After a reconnect the system reads fills and cancels it missed and agrees with the broker again
      Given the trader has a working order to buy 1 BTC-PERP at 49,000 USD
      And the trader has another working order to sell 10 ETH-PERP at 3,100 USD
      When the network to the broker goes down
      And the market trades 0.3 BTC-PERP against the order while the network is down
      And the market trades 0.2 BTC-PERP against the order while the network is down
      And the broker cancels the ETH-PERP order while the network is down
      And the network to the broker comes back
      Then the system resynchronised with the broker after the "reconnect", recovering 2 fills and closing 1 order
      And the system's working orders are exactly the broker's open orders
      And every position is reconciled with the broker
      And the account cash agrees with the broker's balance

    @TC-BE-015
    Scenario: A broker that restarts numbers its reports from 1 again: the system records the new session, resynchronises and applies every later fill
      Given the trader has a working order to buy 4 BTC-PERP at 49,000 USD
      And the market trades 0.1 BTC-PERP against the order 20 times
      When the broker restarts
      And the market trades 0.1 BTC-PERP against the order 20 times
      Then the user channel joined a new broker session and the system resynchronised with the broker
      And the order is filled at an average price of 49,000 USD
      And the trade was applied exactly once
      And the BTC-PERP position is reconciled with the broker

    @TC-BE-016 @smoke
    Scenario: After three failures in a row the system synchronises with the fallback route and trades through it
      Given a fallback route "SIM-B" to the same broker account
      When the primary route to the broker goes down
      And the trader buys 0.1 BTC-PERP at market 3 times
      Then broker "SIM" is marked unhealthy after "3 failures in a row"
      And the system synchronised with "SIM-B" before switching to it
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
      And the order went through "SIM-B"
      When the primary route to the broker comes back
      And 2 minutes pass and the system checks its brokers
      Then the system synchronised with "SIM" before switching to it
      When the trader buys 0.1 BTC-PERP at market
      Then the order went through "SIM"

    @TC-BE-016
    Scenario: A fallback route that cannot be synchronised is not traded through: the system degrades until the route synchronises
      Given a fallback route "SIM-B" to the same broker account
      And the fallback route will fail its next 3 position queries with "500 INTERNAL"
      When the primary route to the broker goes down
      And the trader buys 0.1 BTC-PERP at market 3 times
      Then broker "SIM" is marked unhealthy after "3 failures in a row"
      And the synchronisation with "SIM-B" failed and the system did not switch to it
      And the system is in degraded mode with the trading state REDUCE_ONLY
      When 1 minute passes and the system checks its brokers
      Then the system synchronised with "SIM-B" before switching to it
      And the system is out of degraded mode with the trading state ACTIVE
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
      And the order went through "SIM-B"

    @TC-BE-017 @smoke
    Scenario Outline: With no healthy broker the system degrades to <state>, and comes back when the broker does
      Given the trader holds 1 BTC-PERP bought at 50,000 USD
      And with no healthy broker the trading state becomes <state>
      When the network to the broker goes down
      And the trader buys 0.1 BTC-PERP at market 3 times
      Then the system is in degraded mode with the trading state <state>
      When the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the "trading state" check with the code "<increase code>"
      When the trader sells 0.1 BTC-PERP at market
      Then the reducing order is <reduce outcome>
      When the network to the broker comes back
      And 1 minute passes and the system checks its brokers
      Then the system is still in degraded mode with the trading state <state>
      When 1 minute passes and the system checks its brokers
      Then the system is out of degraded mode with the trading state ACTIVE
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD

      Examples:
        | state       | increase code          | reduce outcome                                  |
        | REDUCE_ONLY | TRADING_STATE_REDUCING | let through the risk checks                      |
        | HALTED      | TRADING_HALTED         | rejected by the "trading state" check            |

    @TC-BE-017
    Scenario: Degraded mode gives back the state it found: reduce-only before, halted while degraded, reduce-only after
      Given the trading state is REDUCE_ONLY
      And with no healthy broker the trading state becomes HALTED
      When the network to the broker goes down
      And the system reconciles the balance with the broker 3 times
      Then the system is in degraded mode with the trading state HALTED
      When the network to the broker comes back
      And 2 minutes pass and the system checks its brokers
      Then the system is out of degraded mode with the trading state REDUCE_ONLY

    @TC-BE-017
    Scenario: A trading state the risk officer set while degraded stays when degraded mode ends
      When the network to the broker goes down
      And the trader buys 0.1 BTC-PERP at market 3 times
      Then the system is in degraded mode with the trading state REDUCE_ONLY
      When the risk officer sets the trading state to HALTED because "the broker outage is under investigation"
      And the network to the broker comes back
      And 2 minutes pass and the system checks its brokers
      Then the system is out of degraded mode with the trading state HALTED

    @TC-BE-017
    Scenario: Degraded mode survives a restart: the new instance gives back the state degraded mode set once the broker is healthy
      When the network to the broker goes down
      And the trader buys 0.1 BTC-PERP at market 3 times
      Then the system is in degraded mode with the trading state REDUCE_ONLY
      When the trading system crashes
      And the network to the broker comes back
      And a new trading system instance starts on the same event log
      And it recovers with the broker
      Then the new instance is still in degraded mode with the trading state REDUCE_ONLY
      When 2 minutes pass and the system checks its brokers
      Then the system is out of degraded mode with the trading state ACTIVE
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
