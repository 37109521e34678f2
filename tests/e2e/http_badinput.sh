#!/bin/bash
# http_badinput.sh - nft-record --serve refuses bad requests with the exact status
# and a JSON error naming the field: bad JSON, wrong types / values, unknown and
# duplicate fields, oversize bodies (Content-Length and chunked: 413), path
# traversal of output and config (../, absolute path outside the serve dir,
# symlinks in it), bad filter, missing namespace, wrong method, unknown path,
# stop / stats / events with no recording; a start the engine refuses (exit 2 ->
# 400, status failed); then a config file inside the serve dir is accepted.  Nothing is created outside the serve dir, no target of a
# symlink is touched, and the server keeps answering.
. "$(dirname "$0")/lib_http.sh"
nt_http_init http_badinput
NS=${NT_PFX}s
ip netns add "$NS" && NT_NSLIST+=("$NS")
ip -n "$NS" link set lo up
nt_http_server "$NS" "$NT_PORT" || { nt_fail "server did not start: $(cat "$NT_TMP/srv.err")"; exit 1; }
[ "$(stat -c %a "$NT_DIR")" = 700 ] || nt_fail "serve dir mode $(stat -c %a "$NT_DIR"), expected 700"

S=$API/start
# nt_bad BODY CODE FIELD|- MESSAGE_PART: one refused start
nt_bad() {
	nt_req "$NS" POST $S "$1"
	F=$3 P=$4 nt_expect "$2" "start $1" \
		"(j.get('field') == os.environ['F'] if os.environ['F'] != '-' else 'field' not in j) and os.environ['P'] in j['error']"
}

nt_bad '{"max_functions": 5'              400 - "not valid JSON (error at byte 19 of 19)"
nt_bad 'max_functions=5'                  400 - "not valid JSON"
nt_bad '[1, 2]'                           400 - "expected a JSON object, got an array"
nt_bad '{"max_functions": "50"}'          400 max_functions "expected an integer 0..100000, got a string"
nt_bad '{"max_functions": 2.5}'           400 max_functions "got 2.5"
nt_bad '{"max_functions": 1e20}'          400 max_functions "got 1e+20"
nt_bad '{"max_functions": -1}'            400 max_functions "expected an integer 0..100000"
nt_bad '{"duration": "10"}'               400 duration "expected seconds"
nt_bad '{"duration": -3}'                 400 duration "got -3"
nt_bad '{"filter": 7}'                    400 filter "expected a string, got a number"
nt_bad '{"filter": "icmp or"}'           400 filter "filter: "
nt_bad '{"filter": "sport 53"}'          400 filter "use 'src port 53'"
nt_bad '{"output": ["a"]}'                400 output "expected a string, got an array"
nt_bad '{"bogus": 1}'                     400 bogus "unknown field 'bogus'"
nt_bad '{"filter": "icmp", "filter": "tcp"}' 400 filter "given twice"
nt_bad '{"backend": "ebpf"}'              400 backend "is not one of"
nt_bad '{"netns": "no-such-ns-x1"}'       400 netns "no namespace 'no-such-ns-x1'"
nt_bad '{"netns": [1]}'                   400 netns "expected an array of strings"
# a field name with invalid UTF-8 and a terminal escape: the answer is strict
# UTF-8 JSON (the decode above is strict) and shows the escape as text
printf '{"\xff\xc0\x80\x1b]0;owned\x07\xe2\x80\xae": 1}' > "$NT_TMP/hostile.json"
nt_req "$NS" POST $S "@$NT_TMP/hostile.json"
nt_expect 400 "hostile field name" \
	"'\\\\x1b]0;owned\\\\x07' in j['error'] and '\\\\u202e' in j['field'] and '\\ufffd' in j['field'] and '\\x1b' not in j['error'] + j['field']"
# path traversal / outside the serve dir
mkdir -p "$NT_TMP/outside"
nt_bad '{"output": "../escape.ntl"}'      400 output "is not a file name inside $NT_DIR"
nt_bad '{"output": "sub/x.ntl"}'          400 output "is not a file name inside"
nt_bad "{\"output\": \"$NT_TMP/outside/abs.ntl\"}" 400 output "is not a file name inside"
nt_bad "{\"output\": \"$NT_DIR/../outside/abs2.ntl\"}" 400 output "is not a file name inside"
nt_bad '{"output": ".hidden.ntl"}'        400 output "no leading '.'"
nt_bad '{"output": "a\u0000/../../x"}'     400 - "(NUL) inside a string is not allowed"
nt_bad '{"config": "../../../etc/passwd"}' 400 config "is not a file name inside"
nt_bad '{"config": "/etc/passwd"}'        400 config "is not a file name inside"
ln -s "$NT_TMP/outside/target.ntl" "$NT_DIR/link.ntl"
nt_bad '{"output": "link.ntl"}'           400 output "is a symlink: refused"
echo '{"version":"1.0","functions":[]}' > "$NT_TMP/outside/cfg.json"
ln -s "$NT_TMP/outside/cfg.json" "$NT_DIR/cfglink.json"
nt_bad '{"config": "cfglink.json"}'       400 config "is a symlink"
echo 'not json' > "$NT_DIR/broken.json"
nt_bad '{"config": "broken.json"}'        400 config "config: $NT_DIR/broken.json"
nt_bad '{"config": "missing.json"}'       400 config "No such file or directory"
touch "$NT_DIR/exists.ntl"
nt_bad '{"output": "exists.ntl"}'         409 output "already exists"

# oversize bodies: declared (Content-Length) and chunked
python3 -c 'print("{\"filter\": \"" + "x" * 70000 + "\"}")' > "$NT_TMP/big.json"
nt_req "$NS" POST $S "@$NT_TMP/big.json"
nt_expect 413 "body of 70 kB" "'larger than 65536 bytes' in j['error']"
nt_req "$NS" POST $S "@$NT_TMP/big.json" -H 'Transfer-Encoding: chunked'
nt_expect 413 "chunked body of 70 kB" "'larger than 65536 bytes' in j['error']"
# methods, paths, nothing recorded yet
nt_req "$NS" GET $S
nt_expect 405 "GET start" "'use POST' in j['error']"
grep -qi '^Allow: POST' "$NT_TMP/hdr" || nt_fail "405 without Allow: POST"
nt_req "$NS" DELETE $API/status
nt_expect 405 "DELETE status" "'use GET' in j['error']"
nt_req "$NS" GET /api/multi-function/../../etc/passwd "" --path-as-is
nt_expect 404 "path outside the API" "'no such endpoint' in j['error']"
nt_req "$NS" GET /nope
nt_expect 404 "/nope" "'no such endpoint' in j['error']"
nt_req "$NS" POST / '{}'
nt_expect 405 "POST / (the page)" "'use GET' in j['error']"
nt_req "$NS" POST $API/stop
nt_expect 409 "stop without recording" "j['error'] == 'no recording running'"
nt_req "$NS" GET $API/stats
nt_expect 409 "stats without recording" "'no recording yet' in j['error']"
nt_req "$NS" GET $API/events
nt_expect 409 "events without recording" "'no recording yet' in j['error']"
nt_req "$NS" GET $API/status
nt_expect 200 "status after bad requests" "j['state'] == 'idle' and j['running'] is False"

# nothing was created outside the serve dir, no symlink target touched
[ -z "$(ls "$NT_TMP/outside" | grep -v '^cfg.json$')" ] || nt_fail "files created outside: $(ls "$NT_TMP/outside")"
[ ! -e "$NT_TMP/escape.ntl" ] || nt_fail "../escape.ntl created"
left=$(ls -A "$NT_DIR" | sort | tr '\n' ' ')
[ "$left" = "broken.json cfglink.json exists.ntl link.ntl " ] || nt_fail "serve dir holds: $left"

# a start the engine refuses (netns in the filter but not recorded): its exit code
NS2=${NT_PFX}t
ip netns add "$NS2" && NT_NSLIST+=("$NS2")
nt_req "$NS" POST $S "{\"filter\": \"netns $NS2\", \"output\": \"refused.ntl\"}"
nt_expect 400 "start refused by the engine" "'recording 1 failed to start (exit 2: bad filter, config, output file or namespace)' in j['error']"
nt_req "$NS" GET $API/status
nt_expect 200 "status of the refused start" "j['state'] == 'failed' and j['exit_code'] == 2 and j['running'] is False"
nt_req "$NS" GET $API/stats
nt_expect 200 "stats of the refused start" "j['stats']['totals']['events'] == 0 and j['stats']['totals']['log_error'] == 'the recording did not start'"
[ ! -e "$NT_DIR/refused.ntl" ] || nt_fail "refused start left $NT_DIR/refused.ntl"

# a valid config inside the serve dir is accepted (tracepoint mode: validated only)
echo '{"version":"1.0","functions":[{"name":"ip_rcv","layer":"IPv4","priority":0,"enabled":true}]}' > "$NT_DIR/trace_config.json"
nt_req "$NS" POST $S '{"config": "trace_config.json", "max_functions": 50, "output": "cfg.ntl", "filter": "icmp", "duration": 30}'
nt_expect 200 "start with a config in the serve dir" "j['id'] == 2 and j['output'] == '$NT_DIR/cfg.ntl'"
nt_req "$NS" POST $API/stop
nt_expect 200 "stop" "j['exit_code'] == 0 and j['log_complete'] is True"
"$NT_ANA" stats "$NT_DIR/cfg.ntl" > /dev/null || nt_fail "nft-analyze cannot read cfg.ntl"
nt_http_stop_server INT
[ "$NT_SRV_RC" = 0 ] || nt_fail "server exit $NT_SRV_RC after SIGINT"
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
