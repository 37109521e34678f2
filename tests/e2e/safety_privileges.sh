#!/bin/bash
# safety_privileges.sh - after attaching, nft-record should keep only the
# capabilities it still needs (issue 9: "drops privileges it doesn't need after
# attach where possible").  Reads CapEff / CapPrm of the running recorder and
# checks that capabilities no recorder step needs once attached are gone.
# (nft-record/privs.c drops them once attached.)
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib_safety.sh
sf_init safety_privileges
sf_ns_pair || { echo "FAIL: safety_privileges: cannot create namespaces"; exit 1; }
# capability numbers (linux/capability.h) never needed after attach
declare -A UNNEEDED=([0]=chown [3]=fowner [6]=setgid [7]=setuid [9]=linux_immutable [16]=sys_module
	[17]=sys_rawio [22]=sys_boot [25]=sys_time [26]=sys_tty_config [27]=mknod [28]=lease
	[30]=audit_control [32]=mac_override [33]=mac_admin [34]=syslog [35]=wake_alarm [36]=block_suspend)
sf_start -o "$SF_T/p.ntl" -d 3
[ -n "$SF_PROGS" ] || { echo "FAIL: safety_privileges: recorder did not start: $(head -c 300 "$SF_T/rec.err")"; exit 1; }
eff=$(awk '/^CapEff:/ {print $2}' /proc/"$SF_PID"/status)
prm=$(awk '/^CapPrm:/ {print $2}' /proc/"$SF_PID"/status)
sf_stop INT
held=
for n in "${!UNNEEDED[@]}"; do
	(( (0x$prm >> n) & 1 )) && held="$held cap_${UNNEEDED[$n]}"
done
if [ -z "$held" ]; then
	echo "PASS: safety_drops_privileges (CapEff $eff, CapPrm $prm)"
else
	echo "FAIL: safety_drops_privileges: after attach the recorder still holds$held (CapEff $eff)"
fi
left=$(sf_left)
[ -z "$left" ] && echo "PASS: safety_privileges_nothing_left" || { echo "FAIL: safety_privileges_nothing_left: $left"; exit 1; }
