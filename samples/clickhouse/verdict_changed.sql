-- Hosts whose verdict for a flow changed between two days: the set of verdicts
-- of each (host, protocol, source, destination, destination port) on day1
-- and on day2 (client ports differ between days; ICMP: port 0).  Compare:
-- nft-analyze diff day1/*.ntl -- day2/*.ntl (class verdict, per host and flow).
WITH toDate('2026-12-05') AS day1, toDate('2026-12-06') AS day2
SELECT host, proto, src, dst, dport,
       arraySort(groupUniqArrayIf(verdict, day = day1)) AS before,
       arraySort(groupUniqArrayIf(verdict, day = day2)) AS after
FROM nft.packets
WHERE day = day1 OR day = day2
GROUP BY host, proto, src, dst, dport
HAVING notEmpty(before) AND notEmpty(after) AND before != after
ORDER BY host, proto, src, dst, dport
