-- nft-tracer ClickHouse schema 2.0 (log format 2): the rows of
-- `nft-analyze export --format clickhouse` (model/export.c, same column order).
-- Loads on ClickHouse 18.16 (Debian 12) and later: integer nanoseconds, no
-- DateTime64 / TTL / codecs / IP types / LowCardinality; addresses as text
-- ("10.0.0.1", "2001:db8::1").  Load:
--   clickhouse-client --multiquery < formats/clickhouse.sql
-- Every table: one row per packet (packets, drops) or per record of a packet
-- (hops, nft_steps); host, boot_id, recording and packet identify the packet
-- (packet ids count within one recording: a log or a rotation set); ts_ns is
-- the wall clock (CLOCK_REALTIME ns, from the log's clock references), day its
-- UTC date.  Partitions by day (drop old days with ALTER TABLE ... DROP
-- PARTITION); sorted by host first: the questions of samples/clickhouse/ are
-- per host.  A cluster: README "ClickHouse" (Distributed tables, sharded by host).

CREATE DATABASE IF NOT EXISTS nft;

-- The schema version (nft-analyze export --to checks it before inserting).
CREATE TABLE IF NOT EXISTS nft.schema_version (version String) ENGINE = TinyLog;
INSERT INTO nft.schema_version SELECT '2.0' WHERE (SELECT count() FROM nft.schema_version) = 0;

CREATE TABLE IF NOT EXISTS nft.packets (
    day          Date,
    ts_ns        UInt64,       -- first record of the packet (wall clock, ns)
    host         String,       -- HEADER host.label (unique in one export)
    boot_id      String,
    recording    String,       -- rotation set, else "<boot_id>:<start_mono_ns>"
    packet       UInt64,       -- journey number within the recording
    netns        UInt32,       -- network namespace inode at its first META
    l3           UInt8,        -- 4, 6
    proto        UInt8,        -- IPPROTO_*
    src          String,
    dst          String,
    sport        UInt16,       -- TCP / UDP ports (0 for ICMP)
    dport        UInt16,
    ifindex      UInt32,
    ip_id        UInt16,
    tcp_seq      UInt32,
    tcp_flags    UInt16,
    icmp_type    UInt8,
    icmp_code    UInt8,
    icmp_id      UInt16,
    icmp_seq     UInt16,
    len          UInt32,       -- skb->len at its first META
    duration_ns  UInt64,       -- first to last record
    verdict      String,       -- nftables: ACCEPT, DROP, ... NONE
    rule         String,       -- deciding rule as nft-analyze stats prints it ('' = none)
    rule_family  String,
    rule_table   String,
    rule_chain   String,
    rule_handle  UInt64,       -- 0: policy / chain verdict
    rule_text    String,
    dropped      UInt8,        -- the kernel dropped it (kfree_skb with a reason)
    drop_reason  String,
    drop_func    String,
    incomplete   UInt8,        -- still open at the end of the log, or expired
    n_funcs      UInt32,
    n_chains     UInt32,
    n_rules      UInt32,
    layers       Array(String), -- time per layer: layer_ns[i] ns in layers[i]
    layer_ns     Array(UInt64)
) ENGINE = MergeTree PARTITION BY day ORDER BY (host, ts_ns, packet);

CREATE TABLE IF NOT EXISTS nft.hops (
    day          Date,
    ts_ns        UInt64,
    host         String,
    boot_id      String,
    recording    String,
    packet       UInt64,
    netns        UInt32,       -- namespace of the skb at this hop
    l3           UInt8,
    proto        UInt8,
    src          String,
    dst          String,
    sport        UInt16,
    dport        UInt16,
    seq          UInt32,       -- record number within the packet (hops and nft_steps)
    t_ns         UInt64,       -- since the packet's first record
    func         String,
    layer        String,
    kind         String,       -- func, drop, free, left (left a namespace-as-host: FORMAT.md)
    skb          UInt64,
    dur_ns       UInt64        -- to the packet's next record
) ENGINE = MergeTree PARTITION BY day ORDER BY (host, func, ts_ns);

CREATE TABLE IF NOT EXISTS nft.nft_steps (
    day          Date,
    ts_ns        UInt64,
    host         String,
    boot_id      String,
    recording    String,
    packet       UInt64,
    netns        UInt32,       -- namespace of the chain
    l3           UInt8,
    proto        UInt8,
    src          String,
    dst          String,
    sport        UInt16,
    dport        UInt16,
    seq          UInt32,
    t_ns         UInt64,
    family       String,
    table        String,
    chain        String,
    hook         String,       -- base chains
    kind         String,       -- rule, policy, return, chain_enter, chain_exit
    handle       UInt64,
    verdict      String,
    target       String,       -- jump / goto
    depth        UInt8,
    text         String
) ENGINE = MergeTree PARTITION BY day ORDER BY (host, table, chain, handle, ts_ns);

CREATE TABLE IF NOT EXISTS nft.drops (
    day          Date,
    ts_ns        UInt64,       -- the packet's last record
    host         String,
    boot_id      String,
    recording    String,
    packet       UInt64,
    netns        UInt32,
    l3           UInt8,
    proto        UInt8,
    src          String,
    dst          String,
    sport        UInt16,
    dport        UInt16,
    verdict      String,       -- DROP: nftables dropped it
    rule         String,       -- its deciding rule ('' = none)
    rule_text    String,
    dropped      UInt8,        -- 1: the kernel dropped it (reason, func, location)
    reason       String,
    reason_code  UInt32,
    func         String,
    location     String
) ENGINE = MergeTree PARTITION BY day ORDER BY (host, ts_ns, packet);
