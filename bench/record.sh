#!/bin/bash
# bench/record.sh - nft-record on this host (tracepoint + nftrace mode: the
# host has no kprobes / fentry), side by side with bpftrace on the same 8
# tracepoints printing one line per event (time, cpu, probe, skb):
#   - ramp: 64-byte UDP between two namespaces at increasing packet rates, sent
#     by bench/udpflood.c (built here: sendmmsg batches, one flow and thread per
#     CPU, so the rate is bounded by the kernel's cost per packet, not by the
#     sender's user space; BENCH_RECORD_SENDER=iperf3 for iperf3 -u as before)
#     at increasing packet
#     rates; per step events/s recorded, loss as counted by the recorder
#     (`nft-analyze stats --json`: ring buffer, nftrace ring, netlink) and a
#     check that recorded + lost = the events the traffic produced (events per
#     datagram from the first loss-free step); the recorder's CPU time (user +
#     system, from wait4) beside the step's elapsed time; nft-record with
#     nftrace (no --filter: the owned chains at the entry hooks), nftrace with
#     --filter 'net 10.98.0.0/24' (nftfilt: a chain at every hook), with
#     --no-nftrace, and bpftrace ("Lost N events");
#     a 64 KiB ring buffer (--no-nftrace) to see ring buffer losses counted;
#   - `nft monitor trace` (the nftables peer) reading the same traffic's trace
#     messages, one per namespace, with nft-record's owned chains (prerouting
#     and output, meta nftrace set 1 accept): messages printed vs its "lost
#     some netlink events";
#   - recorder RSS sampled from /proc every second for 60 s under traffic
#     (vs bpftrace's RSS under the same traffic);
#   - attach time (start -> ready) vs bpftrace's.
# A baseline that does not run (bpftrace without tracefs, no "Attaching 8
# probes") fails the bench with one line: no row shows a baseline of 0.
# bpftrace's tracepoints need tracefs: mounted on /sys/kernel/tracing for the
# bench when it is not, unmounted at the end.
# Writes bench/results/record.json.  The VM part (function backends, attach of
# 100 / 1000 / all functions) is in bench/overhead.sh -> record_vm.json.
#   BENCH_QUICK=1   2 s steps, 10 s RSS run
#   BENCH_RECORD_MODES="nftrace nonft ..."  a subset of the modes (default all:
#                   untraced nftrace nftfilt nonft smallrb nftmon bpftrace; untraced:
#                   the traffic alone, the sender's ceiling; the RSS and attach
#                   rows need nftrace and bpftrace)
#   BENCH_RECORD_RATES="10000 30000 ..."   the ramp's steps (pkt/s, 0 = unlimited)
#   BENCH_RECORD_SENDER=udpflood|iperf3    the traffic generator (default udpflood)
#   BENCH_RECORD_THREADS=N  udpflood's flows / threads (default: the CPUs)
#   BENCH_RECORD_OLD=DIR  also run DIR/nft-record (modes nftrace-old, nonft-old,
#                   each step right after the same step of the current build):
#                   before / after side by side in one run
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
[ "$(id -u)" = 0 ] || { echo "bench/record.sh: SKIP: needs root"; exit 0; }
for t in iperf3 bpftrace cc; do command -v $t > /dev/null || { echo "bench/record.sh: SKIP: $t missing (scripts/deps.sh)"; exit 0; }; done
[ -x $O/nft-record ] && [ -x $O/nft-analyze ] || { echo "bench/record.sh: build first (make)" >&2; exit 1; }
. bench/lib/netns.bash
NS=ntbr
W=$(mktemp -d /tmp/nt-bench-record.XXXXXX)
TRACEFS=
trap 'bench_netns_down $NS; rm -rf "$W"; [ -z "$TRACEFS" ] || umount "$TRACEFS"' EXIT
case " ${BENCH_RECORD_MODES:-bpftrace} " in *" bpftrace "*)
	if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
		mount -t tracefs nodev /sys/kernel/tracing || {
			echo "bench/record.sh: FAIL: bpftrace's tracepoints need tracefs and it cannot be mounted on /sys/kernel/tracing" >&2; exit 1; }
		TRACEFS=/sys/kernel/tracing
	fi;;
esac
if [ -n "${BENCH_RECORD_OLD:-}" ] && [ ! -x "$BENCH_RECORD_OLD/nft-record" ]; then
	echo "bench/record.sh: BENCH_RECORD_OLD=$BENCH_RECORD_OLD: no nft-record there" >&2; exit 1
fi
cc -O2 -Wall -o "$W/udpflood" bench/udpflood.c -lpthread || { echo "bench/record.sh: FAIL: bench/udpflood.c does not build" >&2; exit 1; }
bench_netns_up $NS || { echo "bench/record.sh: namespace setup failed" >&2; exit 1; }
echo "$BENCH_RULESET" | ip netns exec ${NS}_b nft -f - || exit 1

set -o pipefail
O=$O NS=$NS W=$W QUICK=${BENCH_QUICK:-0} OLD=${BENCH_RECORD_OLD:-} MODES=${BENCH_RECORD_MODES:-} \
RATES=${BENCH_RECORD_RATES:-} SENDER=${BENCH_RECORD_SENDER:-udpflood} THREADS=${BENCH_RECORD_THREADS:-$(nproc)} \
python3 - <<'PY' | python3 bench/lib/bench.py emit record
import json, os, re, signal, subprocess, sys, time
O, NS, W, QUICK, OLD = os.environ["O"], os.environ["NS"], os.environ["W"], os.environ["QUICK"] == "1", os.environ["OLD"]
STEP = 2 if QUICK else 4
RSS_SECS = 10 if QUICK else 60
RATES = [int(x) for x in os.environ["RATES"].split()] or [10000, 30000, 50000, 100000, 200000, 0]   # pkt/s, 0 = unlimited
MODES = os.environ["MODES"].split() or ["untraced", "nftrace", "nftfilt", "nonft", "smallrb", "nftmon", "bpftrace"]
SENDER, THREADS = os.environ["SENDER"], int(os.environ["THREADS"])
A, B = NS + "_a", NS + "_b"
TPS = ["net:netif_receive_skb", "net:netif_rx", "net:napi_gro_receive_entry", "net:net_dev_queue",
       "net:net_dev_start_xmit", "net:net_dev_xmit", "skb:kfree_skb", "skb:consume_skb"]
BT = W + "/tp.bt"
open(BT, "w").write(",".join("tracepoint:" + t for t in TPS) +
                    ' { printf("%llu %d %s %llx\\n", nsecs, cpu, probe, args->skbaddr); }\n')
# nft monitor trace's tables: nft-record's owned chains without --filter (the
# entry hooks, first priority, one message per chain run)
MONTAB = "table inet ntbench_mon {\n" + "".join(
    f"\tchain {h} {{ type filter hook {h} priority -2147483648; policy accept; meta nftrace set 1 accept; }}\n"
    for h in ("prerouting", "output")) + "}\n"

def die(msg):
    print("bench/record.sh: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

def loadavg():
    return open("/proc/loadavg").read().split()[:3]

def binary(mode):
    return (OLD if mode.endswith("-old") else O) + "/nft-record"

def start(mode, n):
    out, err = open(f"{W}/{n}.out", "w"), open(f"{W}/{n}.err", "w")
    base = mode[:-4] if mode.endswith("-old") else mode
    if mode == "bpftrace":
        cmd = [["bpftrace", BT]]
        pat = re.compile(r"^Attaching", re.M)
    elif mode == "untraced":
        return [], 0.0
    elif mode == "nftmon":
        for ns in (A, B):
            subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=MONTAB, text=True, check=True)
        cmd = [["ip", "netns", "exec", ns, "nft", "monitor", "trace"] for ns in (A, B)]
        pat = None
    else:
        # nftrace: no filter (the owned chains at the entry hooks only; the
        # host namespace is recorded too, its traffic is noise next to the
        # ramp's); the other modes: the bench's network only
        flt = [] if base == "nftrace" else ["--filter", "net 10.98.0.0/24"]
        cmd = [[binary(mode), "-b", "tracepoint", "-n", f"{A},{B}"] + flt +
               ["-o", f"{W}/{n}.ntl", "--force"] + (["--no-nftrace"] if base in ("nonft", "smallrb") else [])
               + (["--ringbuf-size", "64k"] if base == "smallrb" else [])]
        pat = re.compile(r"recording to", re.M)
    t0 = time.perf_counter()
    ps = [subprocess.Popen(c, stdout=out, stderr=err) for c in cmd]
    while pat and all(p.poll() is None for p in ps) and time.perf_counter() - t0 < 60:
        if pat.search(open(f"{W}/{n}.out").read() + open(f"{W}/{n}.err").read()):
            break
        time.sleep(0.005)
    ready = (time.perf_counter() - t0) * 1e3
    if pat and not pat.search(open(f"{W}/{n}.out").read() + open(f"{W}/{n}.err").read()):
        die(f"{mode}: {' '.join(cmd[0])} did not start: " + " | ".join(open(f"{W}/{n}.err").read().strip().splitlines()[-2:]))
    if mode == "bpftrace":
        txt = open(f"{W}/{n}.out").read() + open(f"{W}/{n}.err").read()
        m = re.search(r"Attaching (\d+) probes", txt)
        if not m or int(m.group(1)) != len(TPS) or "not found" in txt:
            die(f"bpftrace did not attach its {len(TPS)} tracepoints: " + " | ".join(
                l for l in txt.splitlines() if "not found" in l or "ERROR" in l or "Attaching" in l)[:300])
    time.sleep(0.5)
    return ps, ready

def rss(p, field="VmRSS:"):
    try:
        for l in open(f"/proc/{p.pid}/status"):
            if l.startswith(field):
                return int(l.split()[1])
    except OSError:
        pass
    return 0

def reap(p):
    """wait for P; its CPU seconds (user + system, children included: ip netns exec)"""
    _, _, ru = os.wait4(p.pid, 0)
    p.returncode = 0
    return ru.ru_utime + ru.ru_stime

def stop(mode, ps, n):
    for p in ps:
        p.send_signal(signal.SIGINT)
    cpu = round(sum(reap(p) for p in ps), 2)
    if mode == "untraced":
        return {"events": 0, "lost": 0, "rb": 0, "nl": 0, "cpu_s": 0}
    txt = open(f"{W}/{n}.out").read() + open(f"{W}/{n}.err").read()
    if mode == "bpftrace":
        events = sum(1 for l in txt.splitlines() if l[:1].isdigit())
        lost = sum(int(x) for x in re.findall(r"Lost (\d+) events", txt))
        return {"events": events, "lost": lost, "rb": lost, "nl": 0, "cpu_s": cpu}
    if mode == "nftmon":
        for ns in (A, B):
            subprocess.run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "ntbench_mon"])
        # one line per trace message, plus a "packet:" line before the first
        # message of a chain run; ENOBUFS: one "lost some netlink events" line
        msgs = sum(1 for l in txt.splitlines() if l.startswith("trace id") and " packet: " not in l)
        overruns = txt.count("lost some netlink events")
        return {"events": msgs, "lost": overruns, "rb": 0, "nl": overruns, "cpu_s": cpu, "overruns": overruns}
    r = subprocess.run([f"{O}/nft-analyze", "stats", "--json", f"{W}/{n}.ntl"], capture_output=True, text=True)
    try:
        st = json.loads(r.stdout)["stats"]
    except Exception:
        die(f"{mode}: nft-analyze stats of the recording failed: {r.stderr.strip()[:200]}")
    os.unlink(f"{W}/{n}.ntl")
    lo = st["loss"]
    nlr = lo.get("nftrace_ring", 0)
    m = re.search(r"(\d+) nft trace steps", txt)
    return {"events": st["totals"]["events"], "lost": lo["ringbuf"] + lo["netlink"] + nlr, "rb": lo["ringbuf"],
            "nl": lo["netlink"] + nlr, "nl_ring": nlr, "uncorrelated": lo["uncorrelated_nft_records"],
            "nft_rules": st["totals"]["nft_rules"], "packets": st["totals"]["packets"], "cpu_s": cpu}

def udp(pps, secs):
    if SENDER == "udpflood":
        return flood(pps, secs)
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

sender_cpu = {}
def flood(pps, secs):
    """udpflood: THREADS flows, one per CPU; (sent, received); the sender's CPU
    seconds in sender_cpu["last"]"""
    rcv = subprocess.Popen(["ip", "netns", "exec", B, f"{W}/udpflood", "recv", "5201", "1000", str(THREADS)],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(0.2)
    r = subprocess.run(["ip", "netns", "exec", A, f"{W}/udpflood", "send", "10.98.0.2", "5201", str(secs),
                        str(pps), str(THREADS)], capture_output=True, text=True)
    try:
        s = json.loads(r.stdout)
        out, _ = rcv.communicate(timeout=30)
        got = json.loads(out)["received"]
    except Exception:
        rcv.kill()
        die(f"udpflood at {pps} pkt/s: {r.stderr.strip()[:200] or r.stdout.strip()[:200]}")
    sender_cpu["last"] = s["cpu_s"]
    return s["sent"], got

rows, runs, notes = [], [], []
best = {}
epp_of = {}
order = []
for mode in MODES:
    order.append(mode)
    if OLD and mode in ("nftrace", "nftfilt", "nonft"):
        order.append(mode + "-old")
for mode in order:
    if mode.endswith("-old"):
        continue
    # smallrb (64 KiB ring, loses records) is checked against nonft's events per datagram
    epp = {m: epp_of.get("nonft") if m == "smallrb" else None for m in order}
    # nft monitor loses from the lowest step: a 1 k pkt/s step first gives
    # its messages per datagram (the reference of "x expected")
    for pps in ([1000] if mode == "nftmon" else []) + RATES:
        for m in [mode] + ([mode + "-old"] if mode + "-old" in order else []):
            n = f"ramp-{m}-{pps}"
            ps, ready = start(m, n)
            t0 = time.perf_counter()
            sent, rcvd = udp(pps, STEP)
            r = rss(ps[0]) if ps else 0
            s = stop(m, ps, n)
            s.update({"mode": m, "pps_asked": pps, "sent": sent, "received": rcvd, "secs": STEP,
                      "sender": SENDER, "sender_cpu_s": sender_cpu.pop("last", None),
                      "elapsed_s": round(time.perf_counter() - t0, 2),
                      "events_per_s": round(s["events"] / STEP), "rss_kb": r, "ready_ms": round(ready, 1),
                      "load": loadavg()})
            if not sent:
                die(f"{m} at {pps} pkt/s: iperf3 sent nothing")
            if epp[m] is None and s["lost"] == 0 and m != "untraced":
                epp[m] = s["events"] / sent
            if epp[m]:
                s["expected_events"] = round(epp[m] * sent)
                s["accounted"] = round((s["events"] + s["lost"]) / (epp[m] * sent), 3)
            runs.append(s)
            print(f"bench/record.sh: {m} {sent / STEP:.0f} pkt/s ({rcvd} received): {s['events']} events, lost {s['lost']}, "
                  f"cpu {s['cpu_s']} s (sender {s['sender_cpu_s']} s), load {' '.join(s['load'])}", file=sys.stderr)
            if epp[m]:
                epp_of[m] = epp[m]
            if s["lost"] == 0 and s["events_per_s"] > best.get(m, {"events_per_s": -1})["events_per_s"]:
                best[m] = s
labels = {"nftrace": "nft-record (tracepoints + nftrace)", "nonft": "nft-record --no-nftrace",
          "nftfilt": "nft-record --filter (tracepoints + nftrace)", "nftfilt-old": "nft-record --filter before",
          "nftrace-old": "nft-record before (tracepoints + nftrace)", "nonft-old": "nft-record --no-nftrace before",
          "smallrb": "nft-record --no-nftrace --ringbuf-size 64k",
          "nftmon": "nft monitor trace (2 netns)", "bpftrace": "bpftrace 8 tracepoints, printf"}
b = best.get("bpftrace")
if "bpftrace" in MODES and not b:
    die("bpftrace lost events at every step: no loss-free baseline")
for mode in ("nftrace", "nftrace-old", "nftfilt", "nftfilt-old", "nonft", "nonft-old"):
    if mode in best:
        rows.append({"name": f"max events/s 0 lost, {labels[mode]} ({best[mode]['sent'] / STEP:.0f} pkt/s)",
                     "value": best[mode]["events_per_s"], "baseline": "bpftrace max events/s 0 lost",
                     "baseline_value": b["events_per_s"] if b else None,
                     "target": ">= 1M/s on 2 CPUs", "met": best[mode]["events_per_s"] >= 1e6})
# the recorder's own cost per event, marginal (CPU of the busiest step minus
# the quietest, over the events between them: start-up and attach cancel out)
def per_event_us(mode):
    st = [s for s in runs if s["mode"] == mode and s["events"]]
    if len(st) < 2:
        return None
    lo, hi = min(st, key=lambda s: s["events"]), max(st, key=lambda s: s["events"])
    de = hi["events"] + hi["lost"] - lo["events"] - lo["lost"]
    return round((hi["cpu_s"] - lo["cpu_s"]) / de * 1e6, 3) if de > 0 and hi["cpu_s"] > lo["cpu_s"] else None
bt_us = per_event_us("bpftrace")
for mode in ("nftrace", "nftrace-old", "nftfilt", "nftfilt-old", "nonft", "nonft-old", "nftmon"):
    us = per_event_us(mode)
    if us:
        rows.append({"name": f"user CPU per {'message' if mode == 'nftmon' else 'event'} (marginal), {labels[mode]}", "value": us, "unit": "us",
                     "baseline": "bpftrace per event", "baseline_value": bt_us,
                     "target": "<= 1 us (1 M/s on one CPU)", "met": us <= 1.0})
ceil = max((s["sent"] / STEP for s in runs if s["mode"] == "untraced"), default=None)
for mode in ("nftrace", "nftrace-old", "nftfilt", "nftfilt-old", "nonft", "nonft-old", "nftmon", "bpftrace"):
    top = max((s["sent"] / STEP for s in runs if s["mode"] == mode), default=None)
    if top and ceil:
        rows.append({"name": f"max pkt/s the sender reached, {labels[mode]}", "value": round(top), "unit": "pkt/s",
                     "baseline": "untraced (no recorder)", "baseline_value": round(ceil), "target": None})
for mode in ("nftrace", "nftrace-old", "nftfilt", "nftfilt-old", "nftmon"):
    if mode in best:
        rows.append({"name": f"max pkt/s 0 lost, {labels[mode]}", "value": round(best[mode]["sent"] / STEP),
                     "unit": "pkt/s", "baseline": "target", "baseline_value": 30000,
                     "target": ">= 30k pkt/s", "met": best[mode]["sent"] / STEP >= 30000})
for s in runs:
    if s["lost"] > 0 and s["mode"] not in ("bpftrace", "nftmon"):
        rows.append({"name": f"loss {labels[s['mode']]} at {s['sent'] / STEP:.0f} pkt/s (ringbuf {s['rb']} + nftrace {s['nl']})",
                     "value": s["lost"], "baseline": "events recorded", "baseline_value": s["events"],
                     "target": "counted exactly", "met": None if "accounted" not in s else abs(s["accounted"] - 1) < 0.02})
        notes.append(f"{s['mode']} {s['sent']} datagrams: recorded {s['events']} + lost {s['lost']} = "
                     f"{s.get('accounted', '?')} x expected ({s.get('expected_events', '?')} = datagrams x events/datagram of the first loss-free step)")
for s in runs:
    if s["mode"] == "bpftrace" and s["lost"] > 0:
        notes.append(f"bpftrace at {s['sent'] / STEP:.0f} pkt/s: {s['events']} printed, 'Lost {s['lost']} events'")
    if s["mode"] == "nftmon" and s["lost"] > 0:
        notes.append(f"nft monitor trace at {s['sent'] / STEP:.0f} pkt/s: {s['events']} messages printed, "
                     f"{s['overruns']} ENOBUFS overruns ('lost some netlink events'), {s.get('accounted', '?')} x expected messages")

if "nftrace" in MODES and "bpftrace" in MODES:
    # RSS over RSS_SECS under unlimited UDP, then attach time
    for mode in ("nftrace", "bpftrace"):
        n = f"rss-{mode}"
        ps, ready = start(mode, n)
        srv = subprocess.Popen(["ip", "netns", "exec", B, "iperf3", "-s", "-1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        cli = subprocess.Popen(["ip", "netns", "exec", A, "iperf3", "-c", "10.98.0.2", "-u", "-l", "64", "-b", "100M",
                                "-t", str(RSS_SECS + 2)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples, anon = [], []
        for i in range(RSS_SECS):
            time.sleep(1)
            samples.append(rss(ps[0]))
            anon.append(rss(ps[0], "RssAnon:"))
        cli.wait(); srv.wait()
        s = stop(mode, ps, n)
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
