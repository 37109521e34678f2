#!/bin/bash
# bench/recordperf.sh - where a traced packet's CPU goes, per mode, side by side
# (host, tracepoint mode, issue #23): bench/udpflood.c sends 64-byte UDP between
# two namespaces as fast as it can (one flow per CPU) while `perf record -a -g`
# samples every CPU (cpu-clock, 999 Hz) for PERF_SECS.  Per mode (traffic
# untraced; nft-record with nftrace: its owned chains at the entry hooks; the
# same with --filter: a chain at every hook; --no-nftrace; with
# BENCH_RECORD_OLD=DIR also DIR/nft-record with nftrace) the sampled CPU time
# of the traffic's threads (udpflood's sender and receiver, their softirqs included: veth delivers on the
# sending CPU; and ksoftirqd's, where softirqs go under load) split by where
# the stack was - nft_do_chain, nft_trace_notify
# (building and broadcasting trace messages, the recorder's socket filter
# copying them into its ring included), the recorder's BPF programs on the
# tracepoints (bpf_trace_run*) - over the packets sent in the window, against
# the recorder's own CPU (all its threads) over the events it wrote in the
# window: the kernel's cost of a trace message vs our reader's.
# After the perf window, 2 s of BPF run-time statistics (BPF_ENABLE_STATS: an
# fd of this bench, the kernel.bpf_stats_enabled sysctl is left alone):
# run_time_ns / run_cnt of each of the recorder's programs (ids from its fds),
# per program name (one clone per tracepoint: nt_tpg) - ns a run, runs a
# packet; with BENCH_RECORD_OLD also nonft-old: before / after side by side.
#   BENCH_QUICK=1   3 s of perf per mode (default 5)
#   BENCH_RECORDPERF_MODES="untraced nonft ..."  a subset of the modes
#   BENCH_RECORDPERF_PPS=60000   the traffic at this rate (default 0: as fast
#                   as it goes); a fixed rate leaves CPU to the reader and
#                   steadier per-run times when other work shares the host
# Writes bench/results/recordperf.json.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
[ "$(id -u)" = 0 ] || { echo "bench/recordperf.sh: SKIP: needs root"; exit 0; }
for t in perf cc; do command -v $t > /dev/null || { echo "bench/recordperf.sh: SKIP: $t missing (scripts/deps.sh: linux-perf)"; exit 0; }; done
[ -x $O/nft-record ] && [ -x $O/nft-analyze ] || { echo "bench/recordperf.sh: build first (make)" >&2; exit 1; }
if [ -n "${BENCH_RECORD_OLD:-}" ] && [ ! -x "$BENCH_RECORD_OLD/nft-record" ]; then
	echo "bench/recordperf.sh: BENCH_RECORD_OLD=$BENCH_RECORD_OLD: no nft-record there" >&2; exit 1
fi
. bench/lib/netns.bash
NS=ntbp
W=$(mktemp -d /tmp/nt-bench-recordperf.XXXXXX)
trap 'bench_netns_down $NS; rm -rf "$W"' EXIT
cc -O2 -Wall -o "$W/udpflood" bench/udpflood.c -lpthread || { echo "bench/recordperf.sh: FAIL: bench/udpflood.c does not build" >&2; exit 1; }
bench_netns_up $NS || { echo "bench/recordperf.sh: namespace setup failed" >&2; exit 1; }
echo "$BENCH_RULESET" | ip netns exec ${NS}_b nft -f - || exit 1

set -o pipefail
O=$O NS=$NS W=$W MODES=${BENCH_RECORDPERF_MODES:-} PPS=${BENCH_RECORDPERF_PPS:-0} PERF_SECS=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 3 || echo 5) OLD=${BENCH_RECORD_OLD:-} \
python3 - <<'PY' | python3 bench/lib/bench.py emit recordperf
import ctypes, json, os, re, signal, subprocess, sys, time
O, NS, W, OLD = os.environ["O"], os.environ["NS"], os.environ["W"], os.environ["OLD"]
SECS = int(os.environ["PERF_SECS"])
A, B = NS + "_a", NS + "_b"
HZ = 999
MODES = ["untraced", "nftrace", "nftfilt", "nonft"] + (["nftrace-old", "nonft-old"] if OLD else [])
# the untraced traffic is every other row's baseline: always run, first
MODES = [m for m in MODES if m == "untraced" or m in os.environ["MODES"].split()] if os.environ["MODES"] else MODES
STATS_SECS = 2
PARTS = [("nft_do_chain", re.compile(r"^nft_do_chain")), ("nft_trace_notify", re.compile(r"^nft_trace_notify$")),
         ("bpf_trace_run", re.compile(r"^bpf_trace_run\d+$"))]

def die(msg):
    print("bench/recordperf.sh: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

def stats_on():
    """BPF_ENABLE_STATS (bpf command 32, BPF_STATS_RUN_TIME): stats counted while the fd is open."""
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint8 * 16)()
    fd = libc.syscall(321, 32, attr, 16)
    if fd < 0:
        die(f"BPF_ENABLE_STATS: {os.strerror(ctypes.get_errno())}")
    return fd

def prog_stats(pid):
    """name -> [run_cnt, run_time_ns] summed over the programs PID holds"""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            ids.update(int(l.split()[1]) for l in open(f"/proc/{pid}/fdinfo/{fd}") if l.startswith("prog_id:"))
        except OSError:
            pass
    out = {}
    for p in json.loads(subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True).stdout):
        if p["id"] in ids:
            x = out.setdefault(p["name"], [0, 0])
            x[0] += p.get("run_cnt", 0)
            x[1] += p.get("run_time_ns", 0)
    return out

def run(mode):
    rec = None
    if mode != "untraced":
        binp = (OLD if mode.endswith("-old") else O) + "/nft-record"
        cmd = [binp, "-b", "tracepoint", "-n", f"{A},{B}", "-o", f"{W}/{mode}.ntl", "--force"]
        cmd += ["--filter", "net 10.98.0.0/24"] if mode in ("nftfilt", "nonft", "nonft-old") else []
        cmd += ["--no-nftrace"] if mode.startswith("nonft") else []
        err = open(f"{W}/{mode}.err", "w")
        rec = subprocess.Popen(cmd, stdout=err, stderr=err)
        t0 = time.time()
        while "recording to" not in open(f"{W}/{mode}.err").read():
            if rec.poll() is not None or time.time() - t0 > 60:
                die(f"{mode}: nft-record did not start: {open(f'{W}/{mode}.err').read().strip()[-200:]}")
            time.sleep(0.01)
        time.sleep(0.5)
    rcv = subprocess.Popen(["ip", "netns", "exec", B, f"{W}/udpflood", "recv", "5201", "1000", "2"],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(0.2)
    snd = subprocess.Popen(["ip", "netns", "exec", A, f"{W}/udpflood", "send", "10.98.0.2", "5201",
                            str(SECS + 2 + (STATS_SECS + 1 if rec else 0)), os.environ["PPS"], str(os.cpu_count())],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    subprocess.run(["perf", "record", "-q", "-a", "-g", "-F", str(HZ), "-e", "cpu-clock", "-o", f"{W}/{mode}.data",
                    "--", "sleep", str(SECS)], capture_output=True)
    progs = {}
    if rec:
        # the programs' run time, after perf (the statistics cost two clock
        # reads a run: not in the perf window)
        sfd = stats_on()
        p0 = prog_stats(rec.pid)
        time.sleep(STATS_SECS)
        p1 = prog_stats(rec.pid)
        os.close(sfd)
        for k, (n, t) in p1.items():
            n0, t0 = p0.get(k, [0, 0])
            if n > n0:
                progs[k] = {"runs": n - n0, "ns_per_run": round((t - t0) / (n - n0))}
    out, _ = snd.communicate()
    s = json.loads(out)
    rcv.communicate(timeout=30)
    events = lost = 0
    if rec:
        rec.send_signal(signal.SIGINT)
        rec.wait()
        r = subprocess.run([f"{O}/nft-analyze", "stats", "--json", f"{W}/{mode}.ntl"], capture_output=True, text=True)
        st = json.loads(r.stdout)["stats"]
        events = st["totals"]["events"]
        lost = st["loss"]["ringbuf"] + st["loss"]["netlink"] + st["loss"].get("nftrace_ring", 0)
        os.unlink(f"{W}/{mode}.ntl")
    # samples: sender's threads (comm udpflood) split by stack, the recorder's
    p = subprocess.run(["perf", "script", "-i", f"{W}/{mode}.data", "-F", "comm,ip,sym"], capture_output=True, text=True)
    os.unlink(f"{W}/{mode}.data")
    snd_n, rec_n, total, parts = 0, 0, 0, {k: 0 for k, _ in PARTS}
    comm, syms = None, []
    def flush():
        nonlocal snd_n, rec_n, total
        if comm is None:
            return
        total += 1
        if comm == "udpflood" or comm.startswith("ksoftirqd/"):
            snd_n += 1
            for k, rx in PARTS:
                if any(rx.match(x) for x in syms):
                    parts[k] += 1
            # the broadcast is a tail call of nft_trace_notify: its frame
            # sits right under nft_do_chain
            if "nft_do_chain" in syms and "nlmsg_notify" in syms and "nft_trace_notify" not in syms:
                parts["nft_trace_notify"] += 1
        elif comm.startswith("nft-record"):
            rec_n += 1
    for line in p.stdout.splitlines():
        if not line.strip():
            flush()
            comm, syms = None, []
        elif not line.startswith((" ", "\t")):
            flush()
            comm, syms = line.strip().split()[0], []
        else:
            f = line.split()
            if len(f) >= 2:
                syms.append(f[1].split("+")[0])
    flush()
    pkts = s["sent"] * SECS / s["secs"]          # packets sent in the perf window (steady rate)
    evw = events * SECS / s["secs"]              # events written in the window (same rate)
    return {"mode": mode, "sent": s["sent"], "secs": s["secs"], "pps": round(s["sent"] / s["secs"]),
            "events": events, "lost": lost, "samples": total, "sender_samples": snd_n, "recorder_samples": rec_n,
            "parts": parts, "sender_us_per_pkt": round(snd_n / HZ / pkts * 1e6, 3),
            "part_us_per_pkt": {k: round(v / HZ / pkts * 1e6, 3) for k, v in parts.items()},
            "recorder_us_per_event": round(rec_n / HZ / evw * 1e6, 3) if evw else None,
            "events_per_pkt": round(events / s["sent"], 2), "load": open("/proc/loadavg").read().split()[:3],
            "progs": progs}

runs = []
for m in MODES:
    r = run(m)
    runs.append(r)
    print(f"bench/recordperf.sh: {m}: {r['pps']} pkt/s, {r['events']} events ({r['events_per_pkt']} a packet), lost {r['lost']}; "
          f"sender {r['sender_us_per_pkt']} us/pkt {r['part_us_per_pkt']}, recorder {r['recorder_us_per_event']} us/event; "
          f"{r['sender_samples']} + {r['recorder_samples']} of {r['samples']} samples, load {' '.join(r['load'])}", file=sys.stderr)
    if r["progs"]:
        allr = sum(v["runs"] for v in r["progs"].values())
        allt = sum(v["runs"] * v["ns_per_run"] for v in r["progs"].values())
        print(f"bench/recordperf.sh: {m}: BPF ns a run (bpf stats, {STATS_SECS} s): " +
              ", ".join(f"{k} {v['ns_per_run']} ({v['runs']} runs)" for k, v in sorted(r["progs"].items(), key=lambda kv: -kv[1]["runs"])) +
              f"; all {round(allt / allr)} ns", file=sys.stderr)
base = runs[0]
labels = {"nftrace": "nft-record, nftrace (entry hooks)", "nftfilt": "nft-record --filter, nftrace (every hook)",
          "nonft": "nft-record --no-nftrace", "nftrace-old": "nft-record before, nftrace",
          "nonft-old": "nft-record before --no-nftrace"}
byname = {r["mode"]: r for r in runs}
rows = []
for r in runs[1:]:
    L = labels[r["mode"]]
    rows.append({"name": f"traffic CPU per packet (sampled: sender + receiver + softirqs), {L}", "value": r["sender_us_per_pkt"], "unit": "us",
                 "baseline": "untraced traffic", "baseline_value": base["sender_us_per_pkt"]})
    if not r["mode"].startswith("nonft"):
        rows.append({"name": f"  of it trace messages (nft_trace_notify + its nlmsg_notify: build, broadcast, socket filter), {L}",
                     "value": r["part_us_per_pkt"]["nft_trace_notify"], "unit": "us",
                     "baseline": "the recorder's CPU per packet", "baseline_value":
                         round(r["recorder_us_per_event"] * r["events_per_pkt"], 3) if r["recorder_us_per_event"] else None})
        rows.append({"name": f"  of it nft_do_chain (inclusive), {L}", "value": r["part_us_per_pkt"]["nft_do_chain"],
                     "unit": "us", "baseline": "untraced nft_do_chain", "baseline_value": base["part_us_per_pkt"]["nft_do_chain"]})
    rows.append({"name": f"  of it the tracepoint programs (bpf_trace_run*), {L}", "value": r["part_us_per_pkt"]["bpf_trace_run"],
                 "unit": "us", "baseline": "traffic CPU per packet", "baseline_value": r["sender_us_per_pkt"]})
    rows.append({"name": f"recorder CPU per event (sampled, {r['events_per_pkt']} events a packet, lost {r['lost']}), {L}",
                 "value": r["recorder_us_per_event"], "unit": "us", "baseline": "traffic CPU per event",
                 "baseline_value": round(r["sender_us_per_pkt"] / r["events_per_pkt"], 3) if r["events_per_pkt"] else None})
def ns_run(r, name=None):
    p = r["progs"]
    if name:
        return p[name]["ns_per_run"] if name in p else None
    n = sum(v["runs"] for v in p.values())
    return round(sum(v["runs"] * v["ns_per_run"] for v in p.values()) / n) if n else None
for m in ("nonft", "nftrace"):
    new, old = byname.get(m), byname.get(m + "-old")
    if not new or not new["progs"]:
        continue
    for name in [None] + sorted(new["progs"], key=lambda k: -new["progs"][k]["runs"]):
        rows.append({"name": f"BPF ns a program run ({name or 'all programs'}), {labels[m]}", "value": ns_run(new, name),
                     "unit": "ns", "baseline": "nft-record before" if old else "-",
                     "baseline_value": ns_run(old, name) if old and old["progs"] else None})
print(json.dumps({"host_kernel": os.uname().release, "ncpu": os.cpu_count(), "perf_seconds": SECS, "hz": HZ,
                  "pps_asked": int(os.environ["PPS"]),
                  "table": rows, "runs": runs}))
PY
