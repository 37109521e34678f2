#!/bin/bash
# tests/golden/pcapfilt.sh - the --filter translator and evaluators
# (pcapfilt/) against libpcap and tcpdump:
#   test_pcapf_xlate    eBPF translation == pcap_offline_filter, per opcode class
#                       and per expression over generated frames; in the
#                       interpreter and (root) in this kernel via BPF_PROG_TEST_RUN
#   test_pcapf_offline  nft-analyze's evaluation on recorded metadata
#   test_pcapf_extras   netns / iface / mark, the old private forms, the
#                       superset nft matches (checked with nft -c as root)
#   tcpdump             tcpdump -r on the generated frames matches as many
#                       packets per expression as the tests counted
# (make unit builds them into $O/tests/pcapfilt/)
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
O=${O:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

for t in test_pcapf_xlate test_pcapf_offline test_pcapf_extras; do
	if [ ! -x "$O/tests/pcapfilt/$t" ]; then
		echo "FAIL: pcapfilt_build: $O/tests/pcapfilt/$t missing (make unit)"
		exit 1
	fi
done

rc=0
"$O/tests/pcapfilt/test_pcapf_xlate" --pcap "$T/frames.pcap" --counts "$T/counts" || rc=1
"$O/tests/pcapfilt/test_pcapf_offline" || rc=1
"$O/tests/pcapfilt/test_pcapf_extras" --nft-rules "$T/rules" || rc=1

# the nftrace matches of the simple shapes are valid nft, in both families
if command -v nft >/dev/null && [ "$(id -u)" = 0 ]; then
	for fam in inet bridge; do
		{ echo "table $fam ntpcapfcheck {"
		  echo "chain c { type filter hook prerouting priority -2147483648; policy accept;"
		  cat "$T/rules"; echo "}"; echo "}"; } > "$T/rules.nft"
		if out=$(nft -c -f "$T/rules.nft" 2>&1); then
			echo "PASS: nft_accepts_the_matches_$fam ($(wc -l < "$T/rules") rules, nft -c)"
		else
			echo "FAIL: nft_accepts_the_matches_$fam: $(echo "$out" | head -n 3 | tr '\n' ' ')"
			rc=1
		fi
	done
else
	echo "SKIP: nft_accepts_the_matches: needs nft and root"
fi

if ! command -v tcpdump >/dev/null; then
	echo "SKIP: tcpdump_oracle: tcpdump not installed (scripts/deps.sh)"
	exit $rc
fi
n=0
while IFS=$'\t' read -r count expr; do
	got=$(tcpdump -r "$T/frames.pcap" -nn "$expr" 2>/dev/null | wc -l)
	if [ "$got" = "$count" ]; then
		n=$((n + 1))
	else
		echo "FAIL: tcpdump_oracle: '$expr': tcpdump -r prints $got packets, the translator test matched $count"
		rc=1
	fi
done < "$T/counts"
[ "$n" -gt 0 ] && echo "PASS: tcpdump_oracle ($n expressions: tcpdump -r on the generated frames matches the same number of packets)"
exit $rc
