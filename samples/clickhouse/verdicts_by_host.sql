-- Packets by nftables verdict, per host (= nft-analyze stats LOGS...: "Packets by
-- Verdict per host"; a packet is a journey part of one host).
SELECT host, verdict, count() AS packets
FROM nft.packets
GROUP BY host, verdict
ORDER BY host, packets DESC, verdict
