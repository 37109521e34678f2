-- Drops by deciding rule and kernel drop reason, per host, since a time
-- (wall clock ns; 0 = all) (= nft-analyze stats LOGS...: "Drops by Rule and
-- Reason per host"; rule '' = the kernel dropped it without an nftables drop,
-- reason '' = nftables dropped it and the log has no kernel drop record).
WITH toUInt64(0) AS since_ns
SELECT host, rule, reason, count() AS packets
FROM nft.drops
WHERE ts_ns >= since_ns
GROUP BY host, rule, reason
ORDER BY host, packets DESC, rule, reason
