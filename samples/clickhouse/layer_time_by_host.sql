-- p50 / p99 time per layer per host, over the packets that spent time in the
-- layer (= nft-analyze stats LOGS...: "Time per Layer per host").
-- quantileExact(q) is the element of rank floor(q * n) + 1 (1-based) of the n
-- sorted values; nft-analyze's percentile is the largest value of the
-- histogram bucket that holds rank ceil(q * n): at most 1/32 above the value of
-- that rank (README: Definitions).  The ranks differ by one when q * n is whole.
SELECT host, layer, count() AS packets,
       quantileExact(0.5)(ns) AS p50_ns,
       quantileExact(0.99)(ns) AS p99_ns
FROM nft.packets
ARRAY JOIN layers AS layer, layer_ns AS ns
GROUP BY host, layer
ORDER BY host, layer
