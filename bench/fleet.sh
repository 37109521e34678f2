#!/bin/bash
# bench/fleet.sh - issue #20: rows for ClickHouse from a log set of three hosts
# (tests/tools/mkfleet, ~50 M records; BENCH_QUICK=1: ~5 M), side by side:
#   - nft-analyze export to files (-o DIR), JSONEachRow and TabSeparated;
#   - nft-analyze export --to (HTTP batches of 16 MiB) into a private
#     clickhouse-server (tests/tools/chserver.sh), both formats;
#   - the floor: clickhouse-client inserting the same rows from those files;
#   - the sample queries of samples/clickhouse/ on the loaded tables (median
#     of 3 runs, clickhouse-client --time).
# Writes bench/results/fleet.json.  Needs clickhouse-server / -client (SKIPs
# without them), ~25 GB of free disk for the full size.
# BENCH_FLEET_LOGS=DIR: take the log set from DIR (mkfleet's output, made
# beforehand: its generation is not measured) instead of generating it.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
AN=$O/nft-analyze MK=$O/tests/tools/mkfleet
RECORDS=${BENCH_FLEET_RECORDS:-50000000}
[ "${BENCH_QUICK:-0}" = 1 ] && RECORDS=5000000
[ -x "$AN" ] && [ -x "$MK" ] || { echo "bench/fleet.sh: build first (make nft-analyze unit)" >&2; exit 1; }
if ! command -v clickhouse-server > /dev/null || ! command -v clickhouse-client > /dev/null; then
	echo "bench/fleet.sh: SKIP: clickhouse-server / clickhouse-client not installed (scripts/deps.sh)"
	exit 0
fi
W=$(mktemp -d /tmp/nt-bench-fleet.XXXXXX)
CH=$W/ch
cleanup() { bash tests/tools/chserver.sh stop "$CH"; rm -rf "$W"; }
trap cleanup EXIT
read HP TP CHPID < <(bash tests/tools/chserver.sh start "$CH") || { echo "bench/fleet.sh: no server" >&2; exit 1; }
q() { clickhouse-client --host 127.0.0.1 --port "$TP" "$@"; }
now() { date +%s.%N; }
q --multiquery < formats/clickhouse.sql || exit 1

# the log set: 133 records per iteration of mkfleet (3 hosts)
ITER=$((RECORDS / 133))
t0=$(now)
if [ -n "${BENCH_FLEET_LOGS:-}" ]; then
	LOGS=("$BENCH_FLEET_LOGS"/*.ntl)
else
	mkdir -p "$W/logs" && "$MK" -n $ITER "$W/logs" || exit 1
	LOGS=("$W"/logs/*.ntl)
fi
t1=$(now)
REC=$("$AN" stats --json "${LOGS[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["totals"]["events"])')
LOGBYTES=$(cat "${LOGS[@]}" | wc -c)
echo "log set: $REC records, $LOGBYTES bytes, generated in $(echo "$t1 - $t0" | bc) s"

TABLES="packets hops nft_steps drops"
truncate_all() { for t in $TABLES; do q -q "TRUNCATE TABLE nft.$t"; done; }
rows_in() { q -q "SELECT sum(rows) FROM system.parts WHERE active AND database = 'nft'"; }
res="$W/res.txt"
: > "$res"
for fmt in clickhouse clickhouse-tsv; do
	ext=json chfmt=JSONEachRow
	[ $fmt = clickhouse-tsv ] && ext=tsv chfmt=TabSeparated
	# export to files
	rm -rf "$W/out"; mkdir -p "$W/out"
	t0=$(now)
	"$AN" export -q --format $fmt -o "$W/out" "${LOGS[@]}" || exit 1
	t1=$(now)
	ROWS=$(cat "$W"/out/*.$ext | wc -l)
	BYTES=$(cat "$W"/out/*.$ext | wc -c)
	echo "$fmt files $ROWS $(echo "$t1 - $t0" | bc) $BYTES" >> "$res"
	# the floor: clickhouse-client from the files
	truncate_all
	t0=$(now)
	for t in $TABLES; do q -q "INSERT INTO nft.$t FORMAT $chfmt" < "$W/out/$t.$ext" || exit 1; done
	t1=$(now)
	echo "$fmt floor $(rows_in) $(echo "$t1 - $t0" | bc) 0" >> "$res"
	rm -rf "$W/out"
	# export --to
	truncate_all
	t0=$(now)
	"$AN" export -q --format $fmt --to "http://127.0.0.1:$HP/" "${LOGS[@]}" || exit 1
	t1=$(now)
	echo "$fmt to $(rows_in) $(echo "$t1 - $t0" | bc) 0" >> "$res"
done
DISK=$(q -q "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = 'nft'")
# the sample queries (median of three)
for f in samples/clickhouse/*.sql; do
	ts=()
	for i in 1 2 3; do
		ts+=($( { q --time --multiquery < "$f" > /dev/null; } 2>&1 | tail -1))
	done
	echo "query $(basename "$f" .sql) $(printf '%s\n' "${ts[@]}" | sort -n | sed -n 2p)" >> "$res"
done
cat "$res"
python3 - "$res" "$REC" "$LOGBYTES" "$DISK" <<'PY' | python3 bench/lib/bench.py emit fleet
import json, sys
lines = [l.split() for l in open(sys.argv[1])]
rec, logbytes, disk = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows, notes = [], []
m = {}
for l in lines:
    if l[0] != 'query':
        m[(l[0], l[1])] = (int(l[2]), float(l[3]), int(l[4]))
for fmt, name in (('clickhouse', 'JSONEachRow'), ('clickhouse-tsv', 'TabSeparated')):
    fr, fs, fb = m[(fmt, 'files')]
    flr, fls, _ = m[(fmt, 'floor')]
    tr, ts, _ = m[(fmt, 'to')]
    rows.append({"name": "export %s to files" % name, "value": round(fr / fs), "unit": "rows/s",
                 "baseline": "clickhouse-client INSERT from those files", "baseline_value": round(flr / fls)})
    rows.append({"name": "export --to (HTTP) %s" % name, "value": round(tr / ts), "unit": "rows/s",
                 "baseline": "clickhouse-client INSERT from files", "baseline_value": round(flr / fls)})
    notes.append("%s: %d rows (%d bytes, %.0f bytes/row) in %.1f s to files; the floor %.1f s; "
                 "--to %.1f s (%d rows in the server)" % (name, fr, fb, fb / fr, fs, fls, ts, tr))
for l in lines:
    if l[0] == 'query':
        rows.append({"name": "query %s" % l[1], "value": float(l[2]), "unit": "s"})
notes.append("log set: %d records in %d bytes (3 hosts, tests/tools/mkfleet); ClickHouse: %d bytes "
             "on disk for one load (%.1f bytes/row)" % (rec, logbytes, disk,
                                                       disk / m[('clickhouse-tsv', 'to')][0]))
print(json.dumps({"records": rec, "log_bytes": logbytes, "clickhouse_bytes": disk,
                  "table": rows, "notes": notes}))
PY
