@market-conditions
Feature: Market conditions (plan 4.4)
  The system takes the venue's public market data the way a venue sends it: marks, numbered book
  snapshots and deltas, trading status (halts, pauses, reopenings), implied volatility and the
  index's prior close, on the venue's market data channel (through a fault proxy on the wire). It
  keeps its own book from them and reads the market in every risk decision: the session the
  instrument's venue is in, halts and the reopening print, the close, the price bands, the spread,
  the order's share of the visible depth, its expected slippage, and the volatility regime, which
  tightens the leverage and notional limits. Crypto perpetuals trade 24/7 through all of it.
  Scenario time starts on Monday 5 January 2026 at 09:30 in New York.

  Background:
    Given the system takes its market data from the venue's feed
    And an account funded with 100,000 USD
    And the market is:
      | symbol   | mark   |
      | BTC-PERP | 50,000 |
      | AAPL     | 200    |
      | SPY      | 500    |
    And the risk limits in force are:
      | setting                                     | value   |
      | max leverage (x)                            | 3       |
      | max order notional (USD)                    | 500,000 |
      | max position per symbol (% of equity)       | 300     |
      | max gross exposure (% of equity)            | 300     |
      | max net exposure (% of equity)              | 300     |
      | max correlated exposure (% of equity)       | 300     |
      | daily loss limit (% of start-of-day equity) | 5       |
      | price collar (% from mark)                  | 5       |
    And the market limits in force are:
      | setting                                              | value |
      | max spread to take liquidity (bps)                   | 50    |
      | max share of the visible depth an order takes (%)    | 25    |
      | slippage guard (bps)                                 | 50    |
      | elevated volatility regime from (% annualised)       | 30    |
      | stress volatility regime from (% annualised)         | 50    |
      | limit factor in the elevated regime                  | 0.75  |
      | limit factor in the stress regime                    | 0.5   |
      | close preparation before the regular close (min)     | 10    |

  Rule: 4.4.1 Volatility: the regime tightens the limits, a spike meets the bands, a flash crash meets the breakers

    @TC-MC-001 @smoke
    Scenario Outline: In a volatile market a new order may take half the leverage (<quantity> BTC-PERP)
      When BTC-PERP alternates between 49,000 USD and 51,000 USD once a minute for 20 minutes
      Then the volatility regime of BTC-PERP is "stress", set by its realized volatility
      When the trader buys <quantity> BTC-PERP with a limit of 48,000 USD
      Then the "max leverage" check <verdict> with <leverage> against a limit of 1.5
      And the "max leverage" check notes "tightened x0.5 for the stress regime"

      Examples:
        | quantity | verdict | leverage |
        | 3        | passes  | 1.47     |
        | 4        | fails   | 1.96     |

    @TC-MC-004
    Scenario Outline: The regime follows realized volatility: <regime> when BTC-PERP swings between <low> and <high>
      When BTC-PERP alternates between <low> USD and <high> USD once a minute for 20 minutes
      Then the volatility regime of BTC-PERP is "<regime>"
      When the trader buys 1 BTC-PERP with a limit of 49,000 USD
      Then the "max leverage" check passes against a limit of <limit>

      Examples:
        | low    | high   | regime   | limit |
        | 49,999 | 50,001 | calm     | 3     |
        | 49,985 | 50,015 | elevated | 2.25  |
        | 49,900 | 50,100 | stress   | 1.5   |

    @TC-MC-004
    Scenario: The higher of realized and implied volatility sets the regime
      Given the implied volatility of BTC-PERP stands at 20 %
      When BTC-PERP alternates between 49,900 USD and 50,100 USD once a minute for 20 minutes
      Then the volatility regime of BTC-PERP is "stress", set by its realized volatility

    @TC-MC-004
    Scenario: Calm relaxes the limits the stress regime tightened
      Given BTC-PERP alternates between 49,900 USD and 50,100 USD once a minute for 20 minutes
      And the volatility regime of BTC-PERP is "stress"
      When the market stays calm for 22 minutes
      Then the volatility regime of BTC-PERP is "calm"
      When the trader buys 5 BTC-PERP with a limit of 49,000 USD
      Then the "max leverage" check passes with 2.495 against a limit of 3

    @TC-MC-005
    Scenario Outline: An implied volatility surge lowers leverage before realized volatility moves (VIX at <vix>)
      Given the implied volatility index VIX stands at <vix>
      When the trader buys 1,000 AAPL with a limit of 199 USD
      Then the volatility regime of AAPL is "<regime>"
      And the realized volatility of AAPL is not yet estimated
      And the "max leverage" check <verdict> with 2 against a limit of <limit>

      Examples:
        | vix    | regime   | verdict | limit |
        | 15 %   | calm     | passes  | 3     |
        | 29.9 % | calm     | passes  | 3     |
        | 30 %   | elevated | passes  | 2.25  |
        | 49.9 % | elevated | passes  | 2.25  |
        | 50 %   | stress   | fails   | 1.5   |
        | 60 %   | stress   | fails   | 1.5   |

    @TC-MC-005
    Scenario: A surge of the VIX on the venue's feed moves AAPL from calm to stress while its realized volatility is not yet estimated
      Given the implied volatility index VIX stands at 15 %
      When the implied volatility index VIX surges from 15 % to 60 % over 10 minutes
      And 5 minutes pass on the venue
      Then the implied volatility of AAPL is 37.5 %
      And the volatility regime of AAPL is "elevated"
      When 5 minutes pass on the venue
      Then the implied volatility of AAPL is 60 %
      And the volatility regime of AAPL is "stress"
      And the realized volatility of AAPL is not yet estimated
      When the market is marked again where it stands
      And the trader buys 1,000 AAPL with a limit of 199 USD
      Then the "max leverage" check fails with 2 against a limit of 1.5

    @TC-MC-005
    Scenario Outline: The regime tightens the max order notional too (VIX at <vix>)
      Given the per-order notional limit is 100,000 USD
      And the implied volatility index VIX stands at <vix>
      When the trader buys 300 AAPL with a limit of 199 USD
      Then the "order notional" check <verdict> with 59,700 against a limit of <limit>

      Examples:
        | vix  | verdict | limit   |
        | 15 % | passes  | 100,000 |
        | 35 % | passes  | 75,000  |
        | 60 % | fails   | 50,000  |

    @TC-MC-002
    Scenario: A sudden spike meets the price band, the venue pauses the stock, and trading resumes on the reopening print
      Given the time is 2026-01-05 10:00:00 in New York
      And AAPL trades at 200 USD once a second for 5 minutes
      Then AAPL's price band is 190 USD to 210 USD
      When the trader buys 10 AAPL with a limit of 211 USD
      Then the order is rejected by the "price band" check with the code "PRICE_OUTSIDE_LULD_BAND"
      When AAPL spikes to 210 USD and stays there for 15 seconds
      Then the venue has paused AAPL for "LULD_PAUSE"
      When the trader buys 10 AAPL with a limit of 209 USD
      Then the order is rejected by the "trading halt" check with the code "LULD_PAUSED"
      When BTC-PERP is marked at 50,000 USD
      And the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD
      When 5 minutes pass on the venue
      Then the venue has reopened AAPL with a reopening print of 210 USD
      And AAPL is marked at its reopening print of 210 USD
      When the trader buys 10 AAPL at market
      Then the order passed the "trading halt" check
      And the order is filled at an average price of 210 USD

    @TC-MC-002
    Scenario Outline: A limit price on the band is inside it, a cent beyond is outside (<price>)
      Given the time is 2026-01-05 10:00:00 in New York
      And AAPL trades at 200 USD once a second for 5 minutes
      When the trader buys 10 AAPL with a limit of <price> USD
      Then the "price band" check <verdict> with the code "<code>"

      Examples:
        | price  | verdict | code                    |
        | 190    | passes  | PASSED                  |
        | 189.99 | fails   | PRICE_OUTSIDE_LULD_BAND |
        | 210    | passes  | PASSED                  |
        | 210.01 | fails   | PRICE_OUTSIDE_LULD_BAND |

    @TC-MC-002
    Scenario Outline: The bands double in the first 15 and the last 25 minutes of the session (5 minutes from <time>)
      Given the time is 2026-01-05 <time> in New York
      And AAPL trades at 200 USD once a second for 5 minutes
      Then AAPL's price band is <lower> USD to <upper> USD

      Examples:
        | time     | lower | upper |
        | 09:35:00 | 180   | 220   |
        | 09:40:00 | 190   | 210   |
        | 15:30:00 | 180   | 220   |

    @TC-MC-003
    Scenario: A flash crash trips the price-move breaker while the thin book refuses market orders, then liquidity returns
      Given the trading system restarts with its circuit breakers armed
      And the "price move" breaker warns at 3 % and trips at 5 %
      And the "price move" breaker measures its move over 300 seconds
      And the trader holds 0.4 BTC-PERP bought at 50,000 USD
      And the venue models BTC-PERP from 50,000 USD with 5 BTC a level
      When a flash crash of 9 % starts on BTC-PERP, shaped like 6 May 2010
      And 15 minutes pass on the venue
      Then the "price move" breaker has tripped
      When the trader sells 0.3 BTC-PERP at market
      Then the order is rejected by the "book depth share" check with the code "DEPTH_INSUFFICIENT"
      When the trader sends a reduce-only order to sell 0.05 BTC-PERP at market
      Then the "book depth share" check passes
      When 20 minutes pass on the venue
      And the trader sells 0.3 BTC-PERP at market
      Then the "book depth share" check passes

  Rule: 4.4.2 Liquidity: the spread, the depth an order may take, and its expected slippage

    @TC-MC-006
    Scenario Outline: A thin book lets an order take at most a quarter of its depth (<quantity> SMLC)
      Given SMLC is marked at 2.50 USD with 8,000 shares on each side
      When the trader buys <quantity> SMLC at market
      Then the "book depth share" check <verdict> with <share> against a limit of 0.25

      Examples:
        | quantity | verdict | share    |
        | 2,000    | passes  | 0.25     |
        | 2,001    | fails   | 0.250125 |

    @TC-MC-006
    Scenario: With every offer pulled from the book a market buy has nothing to take, and is refused before the broker
      Given SPY is marked at 500 USD with bids at 499.50 USD and no asks
      When the trader buys 10 SPY at market
      Then the order is rejected by the "book depth share" check with the code "NO_LIQUIDITY"
      And the "spread" check fails with the code "NO_LIQUIDITY"
      And the "expected slippage" check fails with the code "NO_LIQUIDITY"
      And no order reached the broker
      And the trader has no SPY position

    @TC-MC-007
    Scenario: A liquidity drain leaves the book too thin for an order it took before
      Given the venue models SPY from 500 USD with 1,000 shares a level
      When the trader buys 400 SPY at market
      Then the order passed the "book depth share" check
      When the book of SPY drains to 5 % of its depth over 10 minutes
      And 10 minutes pass on the venue
      And the trader buys 400 SPY at market
      Then the order is rejected by the "book depth share" check with the code "DEPTH_INSUFFICIENT"

    @TC-MC-008
    Scenario Outline: The book's depth changes and so does what an order may take (<asks> BTC-PERP offered)
      When BTC-PERP is marked at 50,000 USD with only <asks> BTC offered
      And the trader buys 1 BTC-PERP at market
      Then the "book depth share" check <verdict> with <share> against a limit of 0.25

      Examples:
        | asks | verdict | share |
        | 4    | passes  | 0.25  |
        | 3    | fails   | 0.3333 |

    @TC-MC-008
    Scenario: A lost book delta is found by its number and the book is taken again from a snapshot
      When BTC-PERP is marked at 50,010 USD with only 2 BTC offered, but that change of the book is lost on its way
      And BTC-PERP is marked at 50,020 USD with only 3 BTC offered
      Then the system found a gap in the BTC-PERP book and took it again from a snapshot
      And the system's BTC-PERP book is the venue's, with 3 BTC offered

    @TC-MC-008
    Scenario: A stalled feed is caught by the mark price's age
      When the venue's market data feed stalls
      And the venue marks BTC-PERP at 50,500 USD, which never arrives
      And 31 seconds pass without a new mark price
      And the trader buys 0.1 BTC-PERP at market
      Then the order is rejected by the "mark price age" check with the code "MARK_PRICE_STALE"

    @TC-MC-009
    Scenario Outline: A market order takes liquidity only while the spread is at most 50 bps (bid <bid>)
      Given SPY is marked at 500 USD with bids at <bid> USD and asks at 501.25 USD
      When the trader buys 10 SPY at market
      Then the "spread" check <verdict> with <spread> against a limit of 50

      Examples:
        | bid    | verdict | spread  |
        | 498.75 | passes  | 50      |
        | 498.74 | fails   | 50.2005 |

    @TC-MC-010
    Scenario Outline: The expected slippage is half the spread plus the square-root impact (<share> of the daily volume)
      Given the implied volatility of SMLC stands at 24 %
      And SMLC is marked at 2.50 USD with 100,000 shares on each side
      When the trader buys <quantity> SMLC at market
      Then the "expected slippage" check <verdict> with <bps> against a limit of 50

      Examples:
        | share | quantity | verdict | bps     |
        | 1 %   | 4,000    | passes  | 15.1186 |
        | 4 %   | 16,000   | passes  | 30.2372 |
        | 12 %  | 48,000   | fails   | 52.3723 |

    @TC-MC-010
    Scenario Outline: Half the spread and the impact together may reach the guard, not pass it (implied volatility <iv>)
      Given the implied volatility of SMLC stands at <iv>
      And SMLC is marked at 5.00 USD with 50,000 shares bid at 4.99 USD and offered at 5.01 USD
      When the trader buys 10,080 SMLC at market
      Then the "spread" check passes with 40 against a limit of 50
      And the "expected slippage" check <verdict> with <bps> against a limit of 50
      And the "expected slippage" check notes "half spread 20.00 bps + impact <impact> bps"

      Examples:
        | iv   | verdict | bps | impact |
        | 30 % | passes  | 50  | 30.00  |
        | 31 % | fails   | 51  | 31.00  |

  Rule: 4.4.3 Sessions, the close, holidays and halts

    @TC-MC-011
    Scenario Outline: The regular session opens at 09:30 New York time (<time> UTC)
      Given the time is <time> UTC
      When the trader buys 10 AAPL at market
      Then the "market session" check <verdict>

      Examples: The Tuesday after the first weekend
        | time                | verdict |
        | 2026-01-06 14:29:59 | fails   |
        | 2026-01-06 14:30:00 | passes  |

      Examples: The Monday after clocks moved forward (New York is UTC-4 from 8 March 2026)
        | time                | verdict |
        | 2026-03-09 13:29:59 | fails   |
        | 2026-03-09 13:30:00 | passes  |

    @TC-MC-011
    Scenario: Before the opening print only limit orders are taken
      Given the time is 2026-01-06 09:29:45 in New York
      And 15 seconds pass without a new mark price
      When the trader buys 10 AAPL at market
      Then the order is rejected by the "reopening print" check with the code "MARKET_ORDER_BEFORE_REOPENING_PRINT"
      When the trader buys 10 AAPL with a limit of 199 USD
      Then the "reopening print" check passes
      When AAPL is marked at 200 USD
      And the trader buys 10 AAPL at market
      Then the order passed the "reopening print" check

    @TC-MC-012
    Scenario Outline: After 16:00 only limit orders marked for extended hours, and nothing after 20:00 (<time>)
      Given the time is 2026-01-06 <time> in New York
      When the trader sends the equity order "<order>"
      Then the "market session" check <verdict> with the code "<code>"

      Examples:
        | time     | order                                   | verdict | code                              |
        | 08:00:00 | buy 10 AAPL at market extended hours    | fails   | ORDER_TYPE_NOT_ALLOWED_IN_SESSION |
        | 08:00:00 | buy 10 AAPL limit 199 extended hours    | passes  | PASSED                            |
        | 16:00:00 | buy 10 AAPL at market                   | fails   | ORDER_TYPE_NOT_ALLOWED_IN_SESSION |
        | 16:00:00 | buy 10 AAPL at market extended hours    | fails   | ORDER_TYPE_NOT_ALLOWED_IN_SESSION |
        | 16:00:00 | buy 10 AAPL limit 199                   | fails   | EXTENDED_HOURS_NOT_REQUESTED      |
        | 16:00:00 | buy 10 AAPL limit 199 extended hours    | passes  | PASSED                            |
        | 19:59:59 | buy 10 AAPL limit 199 extended hours    | passes  | PASSED                            |
        | 20:00:00 | buy 10 AAPL limit 199 extended hours    | fails   | MARKET_CLOSED                     |

    @TC-MC-013
    Scenario Outline: No new intraday risk in the last 10 minutes before the close (<time>)
      Given the time is 2026-01-06 <time> in New York
      When the trader buys 10 AAPL with a limit of 199 USD
      Then the "close preparation" check <verdict>

      Examples:
        | time     | verdict |
        | 15:49:59 | passes  |
        | 15:50:00 | fails   |

    @TC-MC-013
    Scenario: The close is prepared: SPY flattened, AAPL carried, day orders cancelled at the close, crypto trading on
      Given the trader holds 100 SPY bought at 500 USD
      And the trader holds 50 AAPL bought at 200 USD
      And the trader has a working order to buy 10 AAPL at 190 USD
      And the trader also has a working gtc order to buy 10 AAPL at 191 USD
      When the time is 2026-01-05 15:50:00 in New York
      Then the close preparation flattened SPY and carried AAPL
      And the trader has no SPY position
      And the AAPL position is long 50 at an average entry of 200 USD
      When the trader sells 10 AAPL at market
      Then the order passed the "close preparation" check
      When the time is 2026-01-05 16:00:00 in New York
      Then the working day order was cancelled at the close, here and at the broker
      And the broker holds exactly 1 open orders
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD

    @TC-MC-014
    Scenario Outline: Holidays, the early close and weekends close US equities while crypto trades on (<day>)
      Given the time is <time> in New York
      When the trader buys 10 AAPL with a limit of 199 USD
      Then the "market session" check <verdict> with the code "<code>"
      And the "close preparation" check is <close>
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD

      Examples:
        | day                          | time                | verdict | code                         | close       |
        | Thanksgiving                 | 2026-11-26 12:00:00 | fails   | MARKET_CLOSED                | not judged  |
        | the early close after it     | 2026-11-27 12:49:59 | passes  | PASSED                       | passed      |
        | inside its close preparation | 2026-11-27 12:50:00 | passes  | PASSED                       | failed      |
        | after the early close        | 2026-11-27 13:00:00 | fails   | EXTENDED_HOURS_NOT_REQUESTED | not judged  |
        | a Saturday                   | 2026-11-28 12:00:00 | fails   | MARKET_CLOSED                | not judged  |
        | Christmas Day                | 2026-12-25 12:00:00 | fails   | MARKET_CLOSED                | not judged  |

    @TC-MC-015
    Scenario Outline: A 7 % fall of the S&P 500 halts the market for 15 minutes only before 15:25 (<time>)
      Given the S&P 500 closed at 5,000 USD on 2026-01-05
      And the time is 2026-01-06 <time> in New York
      When SPX is marked at 4,650 USD
      Then the market-wide circuit breaker reached level 1 at a fall of 7 %, <halting>
      When the trader buys 10 AAPL with a limit of 199 USD
      Then the "trading halt" check <verdict>
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD

      Examples:
        | time     | halting                 | verdict |
        | 15:24:59 | halting trading         | fails   |
        | 15:25:00 | without halting trading | passes  |

    @TC-MC-015
    Scenario: After a market-wide halt trading resumes on the venue's reopening only, level 1 halts once a day, level 3 closes the day
      Given the S&P 500 closed at 5,000 USD on 2026-01-05
      And the time is 2026-01-06 11:00:00 in New York
      When SPX is marked at 4,650 USD
      Then the market-wide circuit breaker reached level 1 at a fall of 7 %, halting trading
      When the venue halts the market for "MARKET_WIDE_LEVEL_1"
      And 16 minutes pass without a new mark price
      And the market is marked again where it stands
      And the trader buys 10 AAPL with a limit of 199 USD
      Then the order is rejected by the "trading halt" check with the code "MARKET_WIDE_HALT"
      When the venue reopens the market
      And the trader buys 10 AAPL with a limit of 199 USD
      Then the "trading halt" check passes
      When SPX is marked at 4,640 USD
      Then the market-wide circuit breaker did not trigger again
      When SPX is marked at 4,000 USD
      Then the market-wide circuit breaker reached level 3 at a fall of 20 %, halting trading
      When the venue halts the market for "MARKET_WIDE_LEVEL_3"
      And the venue reopens the market
      Then the system kept the market closed for the rest of the day
      When the trader buys 0.1 BTC-PERP at market
      Then the order is filled at an average price of 50,000 USD

    @TC-MC-015
    Scenario: A venue halt of one stock cancels its working orders by policy until the venue reopens it
      Given working orders in a halt are cancelled
      And the trader has a working order to buy 10 AAPL at 190 USD
      When the venue halts AAPL for "NEWS_PENDING"
      Then the working order was cancelled for the halt, here and at the broker
      When the trader buys 10 AAPL with a limit of 199 USD
      Then the order is rejected by the "trading halt" check with the code "SYMBOL_HALTED"
      When the trader buys 10 SPY with a limit of 499 USD
      Then the "trading halt" check passes
      When the venue reopens AAPL with a reopening print of 205 USD
      And the trader buys 10 AAPL with a limit of 204 USD
      Then the "trading halt" check passes

    @TC-MC-015
    Scenario Outline: Each market-wide level is reached at its fall exactly, not a cent before (SPX at <spx>)
      Given the S&P 500 closed at 5,000 USD on 2026-01-05
      And the time is 2026-01-06 11:00:00 in New York
      When SPX is marked at <spx> USD
      Then the market-wide circuit breaker levels reached today are "<levels>"

      Examples:
        | spx      | levels |
        | 4,650.50 |        |
        | 4,650    | 1      |
        | 4,350.50 | 1      |
        | 4,350    | 2      |
        | 4,000.50 | 2      |
        | 4,000    | 3      |

    @TC-MC-015
    Scenario: A 13 % fall halts the market for 15 minutes, and a fall back to level 1 after it does not halt again
      Given the S&P 500 closed at 5,000 USD on 2026-01-05
      And the time is 2026-01-06 11:00:00 in New York
      When SPX is marked at 4,350 USD
      Then the market-wide circuit breaker reached level 2 at a fall of 13 %, halting trading
      And the level 2 halt ends at 2026-01-06 11:15:00 in New York
      When the trader buys 10 AAPL with a limit of 199 USD
      Then the order is rejected by the "trading halt" check with the code "MARKET_WIDE_HALT"
      When the venue halts the market for "MARKET_WIDE_LEVEL_2"
      And 16 minutes pass without a new mark price
      And the market is marked again where it stands
      And the venue reopens the market
      And SPX is marked at 4,600 USD
      Then the market-wide circuit breaker levels reached today are "2"
      When the trader buys 10 AAPL with a limit of 199 USD
      Then the "trading halt" check passes

    @TC-MC-015
    Scenario: The market-wide reopening does not lift a stock's own halt
      Given the S&P 500 closed at 5,000 USD on 2026-01-05
      And the time is 2026-01-06 11:00:00 in New York
      When the venue halts AAPL for "NEWS_PENDING"
      And SPX is marked at 4,650 USD
      Then the market-wide circuit breaker reached level 1 at a fall of 7 %, halting trading
      When the venue halts the market for "MARKET_WIDE_LEVEL_1"
      And 16 minutes pass without a new mark price
      And the market is marked again where it stands
      And the venue reopens the market
      And the trader buys 10 SPY with a limit of 499 USD
      Then the "trading halt" check passes
      When the trader buys 10 AAPL with a limit of 199 USD
      Then the order is rejected by the "trading halt" check with the code "SYMBOL_HALTED"

    @TC-MC-015
    Scenario: By default a halt holds working orders: they stay at the broker until the stock reopens
      Given the trader has a working order to buy 10 AAPL at 190 USD
      When the venue halts AAPL for "NEWS_PENDING"
      And the trader buys 10 AAPL with a limit of 199 USD
      Then the order is rejected by the "trading halt" check with the code "SYMBOL_HALTED"
      And the working order is still working, here and at the broker

    @TC-MC-015
    Scenario: A halt of one stock cancels that stock's working orders only
      Given working orders in a halt are cancelled
      And the trader has a working order to buy 10 AAPL at 190 USD
      And the trader also has a working gtc order to buy 10 SPY at 490 USD
      When the venue halts AAPL for "NEWS_PENDING"
      Then the working order was cancelled for the halt, here and at the broker
      And the broker holds exactly 1 open orders
