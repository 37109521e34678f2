#!/bin/bash
# chserver.sh - a private ClickHouse server on loopback for tests and benches
# (Debian 12's clickhouse-server 18.16): its own data directory, free ports.
#   chserver.sh start DIR     start it; prints "HTTP_PORT TCP_PORT PID" when it answers
#   chserver.sh stop DIR      stop it (SIGTERM, then SIGKILL) and forget it
# Exit 1 when it does not start within 20 s (the server's last log lines on stderr).
set -u
cmd=$1 dir=$2
case $cmd in
start)
	mkdir -p "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas"
	read hp tp < <(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
	cat > "$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/err.log</errorlog><console>0</console></logger>
  <http_port>$hp</http_port>
  <tcp_port>$tp</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709</mark_cache_size>
  <max_concurrent_queries>8</max_concurrent_queries>
</yandex>
XML
	cat > "$dir/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
	clickhouse-server --config-file="$dir/config.xml" > "$dir/log/stdout" 2>&1 &
	pid=$!
	echo $pid > "$dir/pid"
	for i in $(seq 1 100); do
		if [ "$(curl -s "http://127.0.0.1:$hp/ping")" = "Ok." ]; then
			echo "$hp $tp $pid"
			exit 0
		fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.2
	done
	tail -3 "$dir/log/err.log" "$dir/log/stdout" >&2 2>/dev/null
	kill $pid 2>/dev/null
	exit 1 ;;
stop)
	[ -f "$dir/pid" ] || exit 0
	pid=$(cat "$dir/pid")
	kill $pid 2>/dev/null
	for i in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -9 $pid 2>/dev/null
	rm -f "$dir/pid" ;;
*)
	echo "usage: chserver.sh start|stop DIR" >&2; exit 2 ;;
esac
