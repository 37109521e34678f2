#!/bin/bash
# badinput_record.sh - every bad input of nft-record (README "Bad input"): exact
# stderr line and exit code (0 ok, 1 runtime error, 2 usage / config / output
# file, 3 missing privileges, 4 kernel feature missing); the runtime cases
# (ring buffer full, disk full, SIGPIPE) also check the log and the loss counters.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib_badinput.sh
. tests/e2e/lib_safety.sh
sf_init badinput_record
R=$SF_REC AN=$SF_ANA
T=$SF_T BI_T=$SF_T
cd "$T"
E=nft-record
sf_ns_pair || { echo "FAIL: badinput_record: cannot create namespaces"; exit 1; }

# ---- privileges (nothing is attached: checked before anything else) ----
bi_expect record_not_root 3 \
	"$E: must run as root (needs CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN for --netns); try sudo" \
	bi_as_nobody "$R" -q -d 1 -o "$T/n.ntl"
bi_expect record_no_cap_bpf 3 \
	"$E: missing CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): cannot load BPF tracing programs; run as root" \
	setpriv --inh-caps=-bpf,-sys_admin --bounding-set=-bpf,-sys_admin -- "$R" -q -d 1 -o "$T/nb.ntl"
bi_expect record_no_cap_net_admin 3 \
	"$E: missing CAP_NET_ADMIN: cannot add the nftrace table or read nftables traces; run as root" \
	setpriv --inh-caps=-net_admin --bounding-set=-net_admin -- "$R" -q -d 1 -o "$T/nn.ntl"
[ ! -e n.ntl ] && [ ! -e nb.ntl ] && [ ! -e nn.ntl ] && bi_pass record_privileges_no_log_file ||
	bi_fail record_privileges_no_log_file "$(ls *.ntl)"

# ---- kernel files hidden in a private mount namespace ----
bi_expect record_no_btf 4 \
	"$E: kernel BTF missing (/sys/kernel/btf/vmlinux: No such file or directory): needs a kernel built with CONFIG_DEBUG_INFO_BTF=y" \
	unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$R' -q -d 1 -o '$T/nobtf.ntl'"
[ ! -e nobtf.ntl ] && bi_pass record_no_btf_no_log_file || bi_fail record_no_btf_no_log_file "$(ls -l nobtf.ntl)"
# unreadable kallsyms: only drop locations lose their names; the recording works
: > noks; chmod 000 noks
unshare -m sh -c "mount --bind '$T/noks' /proc/kallsyms && exec setpriv --inh-caps=-dac_override,-dac_read_search \
	--bounding-set=-dac_override,-dac_read_search '$R' -q -d 1 -o '$T/noks.ntl'" </dev/null >/dev/null 2>noks.err; rc=$?
complete=$("$AN" stats --json noks.ntl 2>/dev/null | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["stats"]["totals"]["log_complete"]))' 2>/dev/null)
[ "$rc" = 0 ] && [ "$complete" = 1 ] && bi_pass "record_unreadable_kallsyms_still_records" ||
	bi_fail record_unreadable_kallsyms_still_records "exit $rc, complete '$complete': $(cat noks.err)"

# ---- trace_config.json ----
cfg() { printf '%s\n' "$2" > "$1"; }
bi_expect record_config_missing 2 "$E: --config missing.json: cannot read trace config missing.json: No such file or directory" \
	"$R" -q -c missing.json -d 1 -o c1.ntl
cfg bad.json '{"version": "1.0", "functions": [ {"name": '
bi_expect record_config_bad_json 2 "$E: --config bad.json: bad.json: invalid JSON near byte 44" \
	"$R" -q -c bad.json -d 1 -o c2.ntl
cfg arr.json '[1, 2]'
bi_expect record_config_not_a_config 2 "$E: --config arr.json: arr.json: not a trace config (need {\"version\": \"1.0\", \"functions\": [...]})" \
	"$R" -q -c arr.json -d 1 -o c3.ntl
cfg types.json '{"version": "1.0", "functions": [{"name": "ip_rcv", "layer": "IPv4", "priority": "0"}]}'
bi_expect record_config_wrong_type 2 "$E: --config types.json: types.json: functions[0] (ip_rcv) needs an integer \"priority\" 0..3" \
	"$R" -q -c types.json -d 1 -o c4.ntl
cfg en.json '{"version": "1.0", "functions": [{"name": "ip_rcv", "layer": "IPv4", "priority": 0, "enabled": "yes"}]}'
bi_expect record_config_wrong_type_enabled 2 "$E: --config en.json: en.json: functions[0] (ip_rcv) \"enabled\" must be true or false" \
	"$R" -q -c en.json -d 1 -o c5.ntl
cfg layer.json '{"version": "1.0", "functions": [{"name": "ip_rcv", "layer": "Bogus", "priority": 0}]}'
bi_expect record_config_unknown_layer 2 "$E: --config layer.json: layer.json: functions[0] (ip_rcv) needs a \"layer\" among Device GRO Netfilter IPv4 IPv6 TCP UDP Routing Xmit SoftIRQ Bridge Socket Other" \
	"$R" -q -c layer.json -d 1 -o c6.ntl
# a name from the config is quoted escaped; a FIFO / a device is refused at once (issue #16)
cfg esc.json '{"version": "1.0", "functions": [{"name": "ip\u001b]0;t\u0007\r", "layer": "Bogus", "priority": 0}]}'
bi_expect record_config_hostile_name_escaped 2 "$E: --config esc.json: esc.json: functions[0] (ip\x1b]0;t\x07\r) needs a \"layer\" among Device GRO Netfilter IPv4 IPv6 TCP UDP Routing Xmit SoftIRQ Bridge Socket Other" \
	"$R" -q -c esc.json -d 1 -o c7.ntl
mkfifo cfg.fifo
bi_expect record_config_fifo 2 "$E: --config cfg.fifo: cannot read trace config cfg.fifo: is a FIFO (named pipe), not a regular file" \
	timeout 10 "$R" -q -c cfg.fifo -d 1 -o c8.ntl
bi_expect record_config_device 2 "$E: --config /dev/zero: cannot read trace config /dev/zero: is a character device, not a regular file" \
	timeout 10 "$R" -q -c /dev/zero -d 1 -o c9.ntl
ls c?.ntl >/dev/null 2>&1 && bi_fail record_config_errors_no_log_file "$(ls c?.ntl)" || bi_pass record_config_errors_no_log_file
cfg unk.json '{"version": "1.0", "functions": [{"name": "no_such_function_xyz", "layer": "IPv4", "priority": 0}, {"name": "ip_rcv", "layer": "IPv4", "priority": 0}]}'
"$R" -c unk.json -d 1 -o unk.ntl </dev/null >/dev/null 2>unk.err; rc=$?
if grep -q "tracepoint + nftrace mode" unk.err; then
	# no function probes on this kernel: the config's functions are reported as not traced
	[ "$rc" = 0 ] && grep -qx "$E: 2 functions in unk.json are not traced in tracepoint mode" unk.err &&
		bi_pass record_config_unknown_functions_tracepoint_mode ||
		bi_fail record_config_unknown_functions_tracepoint_mode "exit $rc: $(cat unk.err)"
else
	[ "$rc" = 0 ] && grep -q "no_such_function_xyz" unk.err && bi_pass record_config_unknown_functions ||
		bi_fail record_config_unknown_functions "exit $rc, the unknown function is not named: $(cat unk.err)"
fi

# ---- options ----
bi_expect record_bad_ringbuf_size 2 "$E: --ringbuf-size: expected a power of two between 4k and 1G, got '1000'" \
	"$R" -q --ringbuf-size 1000 -d 1 -o o1.ntl
bi_expect record_bad_backend 2 "$E: --backend: use one of auto|tracepoint|kprobe-multi|fentry|kprobe, not 'bogus'" \
	"$R" -q -b bogus -d 1 -o o2.ntl
bi_expect record_bad_filter 2 "$E: --filter 'host nope': unknown host 'nope'" \
	"$R" -q -f "host nope" -d 1 -o o3.ntl
bi_expect record_bad_filter_syntax 2 "$E: --filter 'tcp port': can't parse filter expression: syntax error" \
	"$R" -q -f "tcp port" -d 1 -o o3.ntl
bi_expect record_old_filter_form 2 "$E: --filter: 'dport 53' is not pcap-filter syntax: use 'dst port 53'" \
	"$R" -q -f "udp and dport 53" -d 1 -o o3.ntl
bi_expect record_filter_protochain 2 "$E: --filter 'ip6 protochain 6': libpcap compiles 'protochain' to a loop (a backward jump), which the probes cannot run; use 'ip proto N' / 'ip6 proto N' (no extension headers)" \
	"$R" -q -f "ip6 protochain 6" -d 1 -o o3.ntl
big=""
for i in $(seq 1 60); do big="$big${big:+ or }(host 10.0.$i.1 and tcp port $((i + 1000)))"; done
bi_expect record_filter_over_the_slot 2 "$E: --filter: the translated filter needs 5266 eBPF instructions, more than the 4092 of the probes' filter slot (NT_PCAPF_SLOTS); use a shorter expression" \
	"$R" -q -f "$big" -d 1 -o o3.ntl
bi_expect record_bad_duration 2 "$E: --duration: expected seconds > 0, got '-5'" "$R" -q -d -5 -o o4.ntl
bi_expect record_missing_netns 2 "$E: --netns ntsf_nope: cannot open /run/netns/ntsf_nope: No such file or directory (create it with ip netns add)" \
	"$R" -q --netns ntsf_nope -d 1 -o o5.ntl

# ---- output file ----
bi_expect record_output_dir_missing 2 "$E: nodir/x.ntl: No such file or directory" "$R" -q -d 1 -o nodir/x.ntl
mkdir ro && mount -t tmpfs -o ro,size=64k tmpfs ro && SF_MOUNTS+=("$T/ro")
bi_expect record_output_read_only 2 "$E: ro/x.ntl: Read-only file system" "$R" -q -d 1 -o ro/x.ntl
# a full file system at open: not even the preamble fits: no 0-byte log left (issue #16)
mkdir full && mount -t tmpfs -o size=4k tmpfs full && SF_MOUNTS+=("$T/full")
dd if=/dev/zero of=full/fill bs=4096 count=1 2>/dev/null
bi_expect record_output_disk_full_at_open 2 "$E: full/x.ntl: write: No space left on device" "$R" -q -d 1 -o full/x.ntl
[ -e full/x.ntl ] && bi_fail record_output_disk_full_no_file_left "$(ls -l full/x.ntl)" ||
	bi_pass record_output_disk_full_no_file_left
echo keep > exists.ntl
bi_expect record_output_exists 2 "$E: exists.ntl: file exists (use --force to overwrite)" "$R" -q -d 1 -o exists.ntl
ln -s exists.ntl link.ntl
bi_expect record_output_symlink 2 "$E: link.ntl: is a symbolic link (refusing to follow it)" "$R" -q -d 1 -o link.ntl --force

# ---- ring buffer full: smallest ring buffer + ping flood: losses counted, in the summary and in the log ----
sf_start --ringbuf-size 4096 -o rb.ntl -d 4
ip netns exec "$SF_A" ping -q -f -c 5000 "$SF_B4" >/dev/null 2>&1
wait "$SF_PID"; rc=$?; SF_PID=
lost=$("$AN" stats --json rb.ntl 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["loss"]["ringbuf"])' 2>/dev/null)
[ "$rc" = 0 ] && [ "${lost:-0}" -gt 0 ] && bi_pass "record_ringbuf_full_losses_counted ($lost lost in the log)" ||
	bi_fail record_ringbuf_full_losses_counted "exit $rc, lost '${lost:-}' : $(head -c 300 "$T/rec.err")"

# ---- disk full: exact message, exit 1 ----
mkdir small && mount -t tmpfs -o size=256k tmpfs small && SF_MOUNTS+=("$T/small")
sf_start -o small/full.ntl
for i in $(seq 1 30); do
	kill -0 "$SF_PID" 2>/dev/null || break
	ip netns exec "$SF_A" ping -q -f -c 2000 -s 1000 "$SF_B4" >/dev/null 2>&1
done
kill -0 "$SF_PID" 2>/dev/null && kill -INT "$SF_PID"
wait "$SF_PID"; rc=$?; SF_PID=
[ "$rc" = 1 ] && [ "$(cat "$T/rec.err")" = "$E: closing small/full.ntl: write: No space left on device" ] &&
	bi_pass record_disk_full || bi_fail record_disk_full "exit $rc, stderr '$(cat "$T/rec.err")'"

# ---- SIGPIPE: --stream piped to head: no crash, the recording ends normally, log complete ----
( "$R" -q --stream --netns "$SF_A" -o sp.ntl -d 3 2>sp.err </dev/null | head -1 >/dev/null; echo "${PIPESTATUS[0]}" >sp.rc ) &
sleep 1
ip netns exec "$SF_A" ping -q -c 40 -i 0.02 "$SF_B4" >/dev/null 2>&1
wait
complete=$("$AN" stats --json sp.ntl 2>/dev/null | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["stats"]["totals"]["log_complete"]))' 2>/dev/null)
[ "$(cat sp.rc)" = 0 ] && [ "$complete" = 1 ] && [ ! -s sp.err ] && bi_pass record_stream_sigpipe_head ||
	bi_fail record_stream_sigpipe_head "status $(cat sp.rc), log complete '$complete', stderr '$(cat sp.err)'"
[ $bi_fails = 0 ]
