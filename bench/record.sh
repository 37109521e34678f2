#!/bin/bash
# bench/record.sh - nft-record on this host (tracepoint + nftrace mode: the
# host has no kprobes / fentry), side by side with bpftrace on the same 8
# tracepoints printing one line per event (time, cpu, probe, skb):
#   - ramp: 64-byte UDP (iperf3 -u) between two namespaces at increasing packet
#     rates; per step events/s recorded, loss as counted by the recorder
#     (`nft-analyze stats --json`: ring buffer + netlink) and a check that
#     recorded + lost = the events the traffic produced (events per datagram
#     from the first loss-free step); nft-record with nftrace, with
#     --no-nftrace, and bpftrace ("Lost N events");
#     a 64 KiB ring buffer (--no-nftrace) to see ring buffer losses counted;
#   - recorder RSS sampled from /proc every second for 60 s under traffic
#     (vs bpftrace's RSS under the same traffic);
#   - attach time (start -> ready) vs bpftrace's.
# Writes bench/results/record.json.  The VM part (function backends, attach of
# 100 / 1000 / all functions) is in bench/overhead.sh -> record_vm.json.
#   BENCH_QUICK=1   2 s steps, 10 s RSS run
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
[ "$(id -u)" = 0 ] || { echo "bench/record.sh: SKIP: needs root"; exit 0; }
for t in iperf3 bpftrace; do command -v $t > /dev/null || { echo "bench/record.sh: SKIP: $t missing (scripts/deps.sh)"; exit 0; }; done
[ -x $O/nft-record ] && [ -x $O/nft-analyze ] || { echo "bench/record.sh: build first (make)" >&2; exit 1; }
. bench/lib/netns.bash
NS=ntbr
W=$(mktemp -d /tmp/nt-bench-record.XXXXXX)
trap 'bench_netns_down $NS; rm -rf "$W"' EXIT
bench_netns_up $NS || { echo "bench/record.sh: namespace setup failed" >&2; exit 1; }
echo "$BENCH_RULESET" | ip netns exec ${NS}_b nft -f - || exit 1

O=$O NS=$NS W=$W QUICK=${BENCH_QUICK:-0} python3 - <<'PY' | python3 bench/lib/bench.py emit record
import json, os, re, signal, subprocess, time
O, NS, W, QUICK = os.environ["O"], os.environ["NS"], os.environ["W"], os.environ["QUICK"] == "1"
STEP = 2 if QUICK else 4
RSS_SECS = 10 if QUICK else 60
RATES = [10000, 25000, 50000, 100000, 200000, 0]   # pkt/s, 0 = unlimited
A, B = NS + "_a", NS + "_b"
TPS = ["net:netif_receive_skb", "net:netif_rx", "net:napi_gro_receive_entry", "net:net_dev_queue",
       "net:net_dev_start_xmit", "net:net_dev_xmit", "skb:kfree_skb", "skb:consume_skb"]
BT = W + "/tp.bt"
open(BT, "w").write(",".join("tracepoint:" + t for t in TPS) +
                    ' { printf("%llu %d %s %llx\\n", nsecs, cpu, probe, args->skbaddr); }\n')

def loadavg():
    return open("/proc/loadavg").read().split()[:3]

def start(mode, n):
    out, err = open(f"{W}/{n}.out", "w"), open(f"{W}/{n}.err", "w")
    if mode == "bpftrace":
        cmd = ["bpftrace", BT]
    else:
        cmd = [f"{O}/nft-record", "-b", "tracepoint", "-n", f"{A},{B}", "--filter", "net 10.98.0.0/24",
               "-o", f"{W}/{n}.ntl", "--force"] + (["--no-nftrace"] if mode in ("nonft", "smallrb") else []) \
            + (["--ringbuf-size", "64k"] if mode == "smallrb" else [])
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=out, stderr=err)
    pat = re.compile(r"^Attaching|recording to", re.M)
    while p.poll() is None and time.perf_counter() - t0 < 60:
        if pat.search(open(f"{W}/{n}.out").read() + open(f"{W}/{n}.err").read()):
            break
        time.sleep(0.005)
    ready = (time.perf_counter() - t0) * 1e3
    time.sleep(0.5)
    return p, ready

def rss(p, field="VmRSS:"):
    try:
        for l in open(f"/proc/{p.pid}/status"):
            if l.startswith(field):
                return int(l.split()[1])
    except OSError:
        pass
    return 0

def stop(mode, p, n):
    p.send_signal(signal.SIGINT)
    p.wait(timeout=120)
    if mode == "bpftrace":
        txt = open(f"{W}/{n}.out").read() + open(f"{W}/{n}.err").read()
        events = sum(1 for l in txt.splitlines() if l[:1].isdigit())
        lost = sum(int(x) for x in re.findall(r"Lost (\d+) events", txt))
        return {"events": events, "lost": lost, "rb": lost, "nl": 0}
    st = json.loads(subprocess.run([f"{O}/nft-analyze", "stats", "--json", f"{W}/{n}.ntl"],
                                   capture_output=True, text=True).stdout)["stats"]
    os.unlink(f"{W}/{n}.ntl")
    lo = st["loss"]
    return {"events": st["totals"]["events"], "lost": lo["ringbuf"] + lo["netlink"], "rb": lo["ringbuf"],
            "nl": lo["netlink"], "uncorrelated": lo["uncorrelated_nft_records"],
            "nft_rules": st["totals"]["nft_rules"], "packets": st["totals"]["packets"]}

def udp(pps, secs):
    bw = str(pps * 64 * 8) if pps else "0"
    subprocess.run(["ip", "netns", "exec", B, "iperf3", "-s", "-D", "-1"], capture_output=True)
    time.sleep(0.2)
    r = subprocess.run(["ip", "netns", "exec", A, "iperf3", "-c", "10.98.0.2", "-u", "-l", "64", "-b", bw,
                        "-t", str(secs), "-J"], capture_output=True, text=True)
    try:
        s = json.loads(r.stdout)["end"]["sum"]
        return s["packets"], s["packets"] - s["lost_packets"]
    except Exception:
        return 0, 0

rows, runs, notes = [], [], []
best = {}
epp_of = {}
for mode in ("nftrace", "nonft", "smallrb", "bpftrace"):
    # smallrb (64 KiB ring, loses records) is checked against nonft's events per datagram
    epp = epp_of.get("nonft") if mode == "smallrb" else None
    for pps in RATES:
        n = f"ramp-{mode}-{pps}"
        p, ready = start(mode, n)
        sent, rcvd = udp(pps, STEP)
        r = rss(p)
        s = stop(mode, p, n)
        s.update({"mode": mode, "pps_asked": pps, "sent": sent, "received": rcvd, "secs": STEP,
                  "events_per_s": round(s["events"] / STEP), "rss_kb": r, "ready_ms": round(ready, 1),
                  "load": loadavg()})
        if epp is None and s["lost"] == 0 and sent:
            epp = s["events"] / sent
        if epp and sent:
            s["expected_events"] = round(epp * sent)
            s["accounted"] = round((s["events"] + s["lost"]) / (epp * sent), 3)
        runs.append(s)
        if epp:
            epp_of[mode] = epp
        if s["lost"] == 0 and s["events_per_s"] > best.get(mode, {"events_per_s": -1})["events_per_s"]:
            best[mode] = s
labels = {"nftrace": "nft-record (tracepoints + nftrace)", "nonft": "nft-record --no-nftrace",
          "smallrb": "nft-record --no-nftrace --ringbuf-size 64k",
          "bpftrace": "bpftrace 8 tracepoints, printf"}
for mode in ("nftrace", "nonft"):
    if mode in best:
        b = best.get("bpftrace")
        rows.append({"name": f"max events/s 0 lost, {labels[mode]} ({best[mode]['sent'] / STEP:.0f} pkt/s)",
                     "value": best[mode]["events_per_s"], "baseline": "bpftrace max events/s 0 lost",
                     "baseline_value": b["events_per_s"] if b else None,
                     "target": ">= 1M/s on 2 CPUs", "met": best[mode]["events_per_s"] >= 1e6})
for s in runs:
    if s["lost"] > 0 and s["mode"] != "bpftrace":
        rows.append({"name": f"loss {labels[s['mode']]} at {s['sent'] / STEP:.0f} pkt/s (ringbuf {s['rb']} + netlink {s['nl']})",
                     "value": s["lost"], "baseline": "events recorded", "baseline_value": s["events"],
                     "target": "counted exactly", "met": None if "accounted" not in s else abs(s["accounted"] - 1) < 0.02})
        notes.append(f"{s['mode']} {s['sent']} datagrams: recorded {s['events']} + lost {s['lost']} = "
                     f"{s.get('accounted', '?')} x expected ({s.get('expected_events', '?')} = datagrams x events/datagram of the first loss-free step)")
for s in runs:
    if s["mode"] == "bpftrace" and s["lost"] > 0:
        notes.append(f"bpftrace at {s['sent'] / STEP:.0f} pkt/s: {s['events']} printed, 'Lost {s['lost']} events'")

# RSS over RSS_SECS under unlimited UDP, then attach time
for mode in ("nftrace", "bpftrace"):
    n = f"rss-{mode}"
    p, ready = start(mode, n)
    srv = subprocess.Popen(["ip", "netns", "exec", B, "iperf3", "-s", "-1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    cli = subprocess.Popen(["ip", "netns", "exec", A, "iperf3", "-c", "10.98.0.2", "-u", "-l", "64", "-b", "100M",
                            "-t", str(RSS_SECS + 2)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples, anon = [], []
    for i in range(RSS_SECS):
        time.sleep(1)
        samples.append(rss(p))
        anon.append(rss(p, "RssAnon:"))
    cli.wait(); srv.wait()
    s = stop(mode, p, n)
    s.update({"mode": "rss-" + mode, "rss_samples_kb": samples, "rss_anon_samples_kb": anon, "ready_ms": round(ready, 1), "secs": RSS_SECS})
    runs.append(s)
r_nr = next(s for s in runs if s["mode"] == "rss-nftrace")
r_bt = next(s for s in runs if s["mode"] == "rss-bpftrace")
rows.append({"name": f"recorder RSS after {RSS_SECS} s ({r_nr['events']} events)", "value": round(r_nr["rss_samples_kb"][-1] / 1024, 1),
             "unit": "MiB", "baseline": f"bpftrace RSS after {RSS_SECS} s", "baseline_value": round(r_bt["rss_samples_kb"][-1] / 1024, 1),
             "target": "<= 64 MiB", "met": max(r_nr["rss_samples_kb"]) <= 65536})
rows.append({"name": f"recorder RssAnon after {RSS_SECS} s (RSS minus ring buffer mapping + libraries)",
             "value": round(r_nr["rss_anon_samples_kb"][-1] / 1024, 1), "unit": "MiB",
             "baseline": f"bpftrace RssAnon", "baseline_value": round(r_bt["rss_anon_samples_kb"][-1] / 1024, 1),
             "target": "<= 64 MiB", "met": max(r_nr["rss_anon_samples_kb"]) <= 65536})
rows.append({"name": f"recorder RSS growth first->last sample", "value": round((r_nr["rss_samples_kb"][-1] - r_nr["rss_samples_kb"][0]) / 1024, 2),
             "unit": "MiB", "baseline": "bpftrace growth", "baseline_value": round((r_bt["rss_samples_kb"][-1] - r_bt["rss_samples_kb"][0]) / 1024, 2),
             "ratio": None})
att = {}
for mode in ("nftrace", "bpftrace"):
    att[mode] = [s["ready_ms"] for s in runs if s["mode"] == mode]
med = lambda v: sorted(v)[len(v) // 2]
tp = [float(x) for x in re.findall(r"attach ([0-9.]+) ms", "".join(open(f"{W}/ramp-nftrace-{p}.err").read() for p in RATES))]
rows.append({"name": "attach: start -> recording (all skb tracepoints + nftrace in 2 netns)", "value": med(att["nftrace"]), "unit": "ms",
             "baseline": "bpftrace start -> Attaching 8 probes", "baseline_value": med(att["bpftrace"])})
if tp:
    rows.append({"name": "attach: as reported by nft-record (probes + nft table)", "value": med(tp), "unit": "ms",
                 "baseline": "bpftrace start -> Attaching 8 probes", "baseline_value": med(att["bpftrace"])})
print(json.dumps({"host_kernel": os.uname().release, "ncpu": os.cpu_count(), "step_seconds": STEP,
                  "table": rows, "runs": runs, "notes": notes}))
PY
