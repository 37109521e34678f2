#!/bin/bash
# http_token.sh - nft-record --serve on a non-loopback address (the veth address
# of namespace A, reached from namespace B): refused without --token (exit 2),
# token files readable by others / too short refused (exit 2); with --token
# every request without "Authorization: Bearer <token>", with a wrong token
# (same length, last character differs; a prefix; another scheme) gets 401 and
# WWW-Authenticate, before any body is read; the right token works for status,
# start and stop; the server listens on that address only.
. "$(dirname "$0")/lib_http.sh"
nt_http_init http_token
nt_ns_pair 84 || { nt_fail "netns setup failed"; exit 1; }

# refused configurations
out=$(ip netns exec "$NSA" "$NT_REC" --serve "$A4:$NT_PORT" --serve-dir "$NT_DIR" 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"a non-loopback address needs --token FILE"* ]] ||
	nt_fail "non-loopback without --token: exit $rc: $out"
TOK=$NT_TMP/token
printf 'tok-%s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$TOK"
chmod 644 "$TOK"
out=$(ip netns exec "$NSA" "$NT_REC" --serve "$A4:$NT_PORT" --token "$TOK" --serve-dir "$NT_DIR" 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"readable or writable by group/others (mode 0644): chmod 600"* ]] ||
	nt_fail "token file 0644: exit $rc: $out"
echo short > "$NT_TMP/short"; chmod 600 "$NT_TMP/short"
out=$(ip netns exec "$NSA" "$NT_REC" --serve "$A4:$NT_PORT" --token "$NT_TMP/short" --serve-dir "$NT_DIR" 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"must have 16 to"* ]] || nt_fail "short token: exit $rc: $out"
out=$(ip netns exec "$NSA" "$NT_REC" --serve "[::1]" --serve-dir "$NT_DIR" 2>&1); rc=$?
[ $rc = 2 ] && [[ $out == *"expected [ADDR:]PORT"* ]] || nt_fail "bad --serve: exit $rc: $out"
chmod 600 "$TOK"
T=$(head -1 "$TOK")

nt_http_server "$NSA" "$A4:$NT_PORT" --token "$TOK" || { nt_fail "server did not start: $(cat "$NT_TMP/srv.err")"; exit 1; }
nt_req "$NSB" GET $API/status
nt_expect 401 "no Authorization header" "'missing or wrong token' in j['error']"
grep -qi '^WWW-Authenticate: Bearer' "$NT_TMP/hdr" || nt_fail "401 without WWW-Authenticate: Bearer"
WRONG=${T%?}x; [ "$WRONG" = "$T" ] && WRONG=${T%?}y
nt_req "$NSB" GET $API/status "" -H "Authorization: Bearer $WRONG"
nt_expect 401 "wrong token (last character)" "'missing or wrong token' in j['error']"
nt_req "$NSB" GET $API/status "" -H "Authorization: Bearer ${T:0:10}"
nt_expect 401 "token prefix" "'missing or wrong token' in j['error']"
nt_req "$NSB" GET $API/status "" -H "Authorization: Bearer ${T}${T}"
nt_expect 401 "token twice" "'missing or wrong token' in j['error']"
nt_req "$NSB" GET $API/status "" -H "Authorization: Basic $T"
nt_expect 401 "Basic scheme" "'missing or wrong token' in j['error']"
nt_req "$NSB" POST $API/start '{"filter": "icmp"}'
nt_expect 401 "start without token" "'missing or wrong token' in j['error']"
python3 -c 'print("{\"filter\": \"" + "x" * 70000 + "\"}")' > "$NT_TMP/big.json"
nt_req "$NSB" POST $API/start "@$NT_TMP/big.json"
nt_expect 401 "big body without token (auth first)" "'missing or wrong token' in j['error']"
nt_req "$NSB" GET /nowhere
nt_expect 401 "unknown path without token" "'missing or wrong token' in j['error']"

AUTH=(-H "Authorization: Bearer $T")
nt_req "$NSB" GET $API/status "" "${AUTH[@]}"
nt_expect 200 "right token" "j['state'] == 'idle'"
nt_req "$NSB" GET $API/status "" -H "authorization: bearer   $T"
nt_expect 200 "right token, lower-case scheme, spaces" "j['state'] == 'idle'"
nt_req "$NSB" POST $API/start "{\"filter\": \"host $A4 and icmp\", \"output\": \"tok.ntl\", \"netns\": \"$NSB\"}" "${AUTH[@]}"
nt_expect 200 "start with token" "j['id'] == 1 and j['output'] == '$NT_DIR/tok.ntl'"
nt_http_note_bpf
ip netns exec "$NSA" ping -c2 -i0.2 -W1 "$B4" > /dev/null
sleep 0.5
nt_req "$NSB" POST $API/stop "" "${AUTH[@]}"
nt_expect 200 "stop with token" "j['exit_code'] == 0 and j['log_complete'] is True"
n=$("$NT_ANA" journeys --json --host "$A4" --proto icmp "$NT_DIR/tok.ntl" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["journeys"]))')
[ "$n" = 4 ] || nt_fail "tok.ntl: $n ICMP packets of $A4, expected 4 (2 requests, 2 replies)"
# listening on A4 only
nt_req "$NSA" GET $API/status "" --connect-to "::127.0.0.1:$NT_PORT" "${AUTH[@]}"
[ "$HTTP_CODE" = 000 ] || nt_fail "127.0.0.1:$NT_PORT answers (HTTP $HTTP_CODE): should listen on $A4 only"
nt_assert_clean
nt_http_stop_server TERM
[ "$NT_SRV_RC" = 0 ] || nt_fail "server exit $NT_SRV_RC after SIGTERM"
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
