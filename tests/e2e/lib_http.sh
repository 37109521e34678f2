#!/bin/bash
# lib_http.sh - helpers of the nft-record --serve tests (tests/e2e/http_*.sh), on top of lib_netns.sh.
#
#   nt_http_server NS LISTEN [nft-record options]   # server in NS; $NT_SRV_PID, $NT_BASE, $NT_DIR
#   nt_req NS METHOD PATH [BODY [curl options]]      # $HTTP_CODE, body in $NT_TMP/body
#   nt_jq FILE 'python expression on j'              # prints the value
#   nt_http_stop_server [SIGNAL]                     # $NT_SRV_RC
. "$(dirname "${BASH_SOURCE[0]}")/lib_netns.sh"

API=/api/multi-function

# a port unlikely to clash (every test also runs in its own namespace)
NT_PORT=$((20000 + $$ % 20000))

nt_http_init() {
	nt_lib_init "$1"
	command -v curl >/dev/null || nt_skip "curl not installed"
	NT_DIR=$NT_TMP/recordings
}

nt_http_server() {
	local ns=$1 listen=$2
	shift 2
	NT_BASE=http://$listen
	case $listen in *:*) ;; *) NT_BASE=http://127.0.0.1:$listen ;; esac
	NT_SRV_NS=$ns
	ip netns exec "$ns" $NT_WRAP "$NT_REC" --serve "$listen" --serve-dir "$NT_DIR" "$@" \
		> "$NT_TMP/srv.out" 2> "$NT_TMP/srv.err" &
	NT_SRV_PID=$!
	NT_REC_PID=$NT_SRV_PID   # nt_assert_clean: table nft_record_<pid>
	NT_PIDS+=($NT_SRV_PID)
	local i
	for i in $(seq 1 50); do
		grep -q 'listening on' "$NT_TMP/srv.err" 2>/dev/null && return 0
		kill -0 "$NT_SRV_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# nt_req NS METHOD PATH [BODY [extra curl args...]]
# (POST: with Content-Type: application/json, as the server requires, unless given)
nt_req() {
	local ns=$1 method=$2 path=$3 body=$4
	shift 3; [ $# -gt 0 ] && shift
	local data=()
	[ -n "$body" ] && data=(--data-binary "$body")
	[ "$method" = POST ] && [[ "$*" != *Content-Type* ]] && data+=(-H 'Content-Type: application/json')
	HTTP_CODE=$(ip netns exec "$ns" curl -s -m 20 -o "$NT_TMP/body" -w '%{http_code}' -D "$NT_TMP/hdr" -X "$method" \
		"${data[@]}" "$@" "$NT_BASE$path")
}

# nt_jq FILE EXPR: evaluate a python expression over the JSON document j
nt_jq() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if not isinstance(v, str) else v)' "$1" "$2"
}

# nt_expect CODE WHAT [python condition on j]: check the last answer
nt_expect() {
	local code=$1 what=$2 cond=$3
	if [ "$HTTP_CODE" != "$code" ]; then
		nt_fail "$what: HTTP $HTTP_CODE, expected $code: $(head -c 300 "$NT_TMP/body")"
		return 1
	fi
	if [ -n "$cond" ] && ! python3 -c 'import json,sys,os; j=json.loads(open(sys.argv[1], "rb").read().decode("utf-8")); sys.exit(0 if eval(sys.argv[2]) else 1)' "$NT_TMP/body" "$cond" 2>/dev/null; then
		nt_fail "$what: answer $(head -c 300 "$NT_TMP/body") does not satisfy: $cond"
		return 1
	fi
	return 0
}

# BPF programs / links of the server while it records (for nt_assert_clean)
nt_http_note_bpf() {
	NT_PROG_IDS=$(grep -hs '^prog_id:' /proc/$NT_SRV_PID/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')
	NT_LINK_IDS=$(grep -hs '^link_id:' /proc/$NT_SRV_PID/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')
}

# nt_sse_wait FILE...: until every event stream printed its first comment (connected)
nt_sse_wait() {
	local i f ok
	for i in $(seq 1 100); do
		ok=1
		for f in "$@"; do grep -q '^: nft-record events' "$f" 2>/dev/null || ok=0; done
		[ $ok = 1 ] && return 0
		sleep 0.05
	done
	nt_fail "event streams not connected after 5 s"
	return 1
}

nt_http_stop_server() {
	local sig=${1:-TERM} dog
	kill -"$sig" "$NT_SRV_PID" 2>/dev/null
	( sleep 15; kill -KILL "$NT_SRV_PID" 2>/dev/null ) & dog=$!
	wait "$NT_SRV_PID" 2>/dev/null
	NT_SRV_RC=$?
	kill "$dog" 2>/dev/null; wait "$dog" 2>/dev/null
}
