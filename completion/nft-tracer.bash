# bash completion for nft-record, nft-analyze and nft-discover (nft-tracer).
# Installed once per command name under share/bash-completion/completions/.

_nft_tracer_files() { # GLOB: files matching it, and directories
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -f -X "!$1" -- "$cur") $(compgen -d -- "$cur"))
}

_nft_record() {
	local cur prev
	_init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }
	case $prev in
	-b|--backend) COMPREPLY=($(compgen -W "auto tracepoint kprobe-multi fentry kprobe" -- "$cur")); return ;;
	-c|--config) _nft_tracer_files '*.json'; return ;;
	-o|--output) _nft_tracer_files '*.ntl'; return ;;
	--token) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--serve-dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--host-netns|-n|--netns) COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur")); return ;;
	--nftrace-family) COMPREPLY=($(compgen -W "inet bridge inet,bridge" -- "$cur")); return ;;
	--keep) COMPREPLY=($(compgen -W "drop verdict= rule= slow= func=" -- "$cur")); compopt -o nospace 2>/dev/null; return ;;
	-d|--duration|-m|--max-functions|-f|--filter|--ringbuf-size|--rotate|--rotate-every|--max-files|--max-events-per-s) return ;;
	esac
	COMPREPLY=($(compgen -W "--backend --capture-bytes --config --conntrack --duration --force --filter --host-label --host-netns --keep --keep-kernel --max-events-per-s --max-files --max-functions --rotate --rotate-every --stack
		--nftrace-family --nftrace-netlink --no-nftrace --netns --output --quiet --ringbuf-size
		--serve --serve-dir --stream --token --verbose --help --usage --version" -- "$cur"))
}

_nft_analyze() {
	local cur prev cmd i
	_init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break ;; esac
	done
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "events journeys stats report diff timeline flame pcap --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--verdict) COMPREPLY=($(compgen -W "accept drop stolen queue none" -- "$cur")); return ;;
	--proto) COMPREPLY=($(compgen -W "tcp udp icmp icmpv6 sctp" -- "$cur")); return ;;
	-o|--output) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--packet|--func|--host|--src|--dst|--port|--sport|--dport|--since|--until|--limit|--top|--idle) return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "--json --ndjson --limit --top --idle --packet --verdict --func
			--host --src --dst --port --sport --dport --proto --since --until --output --svg
			--html --filter --fate --reorder --headers-only --help" -- "$cur"))
		return
	fi
	_nft_tracer_files '*.ntl'
}

_nft_discover() {
	local cur prev
	_init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }
	case $prev in
	--btf|--kallsyms) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-o|--output|-c|--config) _nft_tracer_files '*.json'; return ;;
	-l|--layers) COMPREPLY=($(compgen -W "Device GRO Netfilter IPv4 IPv6 TCP UDP Routing Xmit SoftIRQ Bridge Socket Other" -- "$cur")); return ;;
	-p|--priority) COMPREPLY=($(compgen -W "0 1 2 3" -- "$cur")); return ;;
	-m|--max-trace) return ;;
	esac
	COMPREPLY=($(compgen -W "--btf --config --json --kallsyms --layers --max-trace --no-modules
		--output --priority --quiet --verbose --help --usage" -- "$cur"))
}

complete -F _nft_record nft-record
complete -F _nft_analyze nft-analyze
complete -F _nft_discover nft-discover
