#!/usr/bin/env bash
# Crash consistency: kit-fetch is killed (SIGKILL, injected by strace on
# entering a system call) at many points of an update: while the archive
# downloads, while it is extracted, while the release is switched in (a
# repository published with --archives whose packs cannot be had, so the
# update takes the archive).  After every kill `current` must be the
# complete old kit or the complete new one, and the next run must finish
# the update.  Then the same for an update from packs (a kit with a 300 kB
# image, one post edited): killed while the index, the manifest and the
# objects arrive, while unchanged files are linked, while the release is
# switched in; and for a first install from packs (no kit, or the whole
# new one).
. "$(dirname "$0")/lib.sh"
# LeakSanitizer cannot run under ptrace; the other checks stay on.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1

command -v strace >/dev/null || { not_ok "strace is installed (apt-get install strace)"; exit 1; }

check "publish version 1" new_repo repo
check "an office with version 1 installed" sh -c "kit-fetch init --state '$T/v1' --root '$T/repo/metadata/1.root.json' --url 'file://$T/repo' --office belgium && kit-fetch update --state '$T/v1' -q"
cp -a "$KIT_SRC/campaigns/together-2016" "$T/camp"
sed -i 's/"title": "TOGETHER/"title": "TOGETHER (v2)/' "$T/camp/campaign.json"
check "publish version 2, with its archives" kit-publish publish "$T/camp" --repo "$T/repo" --keys "$T/repo-keys" --archives --quiet
rm -rf "$T/repo/packs"
rm -rf "$T/probe" && cp -a "$T/v1" "$T/probe"
kit-fetch update --state "$T/probe" >"$T/out" 2>"$T/err"
expect_msg "archive: the update takes the archive (no packs)" 'downloading the whole archive instead'

version_of() { sed -n 's/^  "version": \([0-9]*\),*$/\1/p' "$1/kits/together-2016/current/manifest.json" 2>/dev/null | head -1; }

# crash_points V1 LABEL [FIRST]: kill an update of a copy of the state V1
# (version 1 installed, version 2 in its repository; with FIRST nothing
# installed yet) at every disk-changing call.
crash_points() {
local V1=$1 L=$2 first=${3:-}

local points=0 bad=0 total step entry sc n i rc v
points=0 bad=0 notfinished=0 killed=0
# The system calls an update makes that change the disk, and how many of
# each a normal run makes (counted, not assumed).
rm -rf "$T/count" && cp -a "$V1" "$T/count"
strace -f -qq -c -o "$T/counts" -e trace=write,pwrite64,fsync,rename,renameat,renameat2,symlink,symlinkat,mkdir,mkdirat,unlink,unlinkat,ftruncate,link,linkat \
	kit-fetch update --state "$T/count" -q
while read -r pct secs usecs calls errs name; do
	case "$name" in ''|total|syscall) continue ;; esac
	[ "$calls" -gt 0 ] 2>/dev/null || continue
	echo "$name $calls"
done < <(grep -E '^ *[0-9]' "$T/counts" | awk '{ if (NF == 6) print $1, $2, $3, $4, $5, $6; else print $1, $2, $3, $4, 0, $5 }') >"$T/plan"
# Every call is a kill point when there are up to 120; otherwise a spread of
# about 100 in all, always with the first and the last call of each kind.
total=$(awk '{ s += $2 } END { print s }' "$T/plan")
step=$(( total > 120 ? (total + 99) / 100 : 1 ))
for entry in $(awk '{print $1 ":" $2}' "$T/plan"); do
	sc=${entry%%:*} n=${entry##*:}
	for i in $( (seq 1 "$step" "$n"; echo "$n") | sort -un); do
		rm -rf "$T/office" && cp -a "$V1" "$T/office"
		# (in a subshell whose stderr is closed: bash's own "Killed" notice)
		rc=$( (strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc:signal=KILL:when=$i" \
			kit-fetch update --state "$T/office" -q >/dev/null 2>&1; echo $?) 2>/dev/null)
		points=$((points + 1))
		[ $rc -ne 0 ] && killed=$((killed + 1))
		v=$(version_of "$T/office")
		if [ -n "$first" ] && [ -z "$v" ] && [ ! -e "$T/office/kits/together-2016/current" ]; then
			: # a first install killed: still nothing installed
		elif [ "$v" != 1 ] && [ "$v" != 2 ]; then
			bad=$((bad + 1)); echo "# $sc #$i: current is '$v'"
		elif ! kit-fetch verify --state "$T/office" >/dev/null 2>&1; then
			bad=$((bad + 1)); echo "# $sc #$i: current (version $v) does not match its manifest"
		fi
		if ! kit-fetch update --state "$T/office" -q >/dev/null 2>"$T/err" ||
			[ "$(version_of "$T/office")" != 2 ] ||
			! kit-fetch verify --state "$T/office" >/dev/null 2>&1; then
			notfinished=$((notfinished + 1)); echo "# $sc #$i: the next run did not finish the update: $(head -1 "$T/err")"
		fi
	done
done
echo "# $points kill points ($(tr '\n' ' ' <"$T/plan")), $killed runs killed"
[ "$points" -ge 50 ] && ok "$L: at least 50 distinct kill points ($points)" || not_ok "$L: at least 50 distinct kill points" "only $points"
[ "$killed" -ge "$points" ] && ok "$L: the runs were really killed ($killed)" || not_ok "$L: the runs were really killed" "only $killed of $points"
[ "$bad" -eq 0 ] && ok "$L: after every kill, current is the complete old or new kit" || not_ok "$L: after every kill, current is the complete old or new kit" "$bad bad"
[ "$notfinished" -eq 0 ] && ok "$L: after every kill, the next run completes the update" || not_ok "$L: after every kill, the next run completes the update" "$notfinished failed"
}
crash_points "$T/v1" archive

# The same for an update from packs.
cp -a "$KIT_SRC/campaigns/together-2016" "$T/dcamp"
head -c 300000 /dev/urandom >>"$T/dcamp/media/together-square.png"
check "delta: publish version 1" sh -c "kit-publish init --repo '$T/drepo' --keys '$T/drepo-keys' --quiet && kit-publish publish '$T/dcamp' --repo '$T/drepo' --keys '$T/drepo-keys' --quiet"
check "delta: an office with version 1 installed" sh -c "kit-fetch init --state '$T/dv1' --root '$T/drepo/metadata/1.root.json' --url 'file://$T/drepo' --office belgium && kit-fetch update --state '$T/dv1' -q"
sed -i 's/IOM asks the world to support/IOM asks everyone to support/' "$T/dcamp/campaign.json"
check "delta: publish version 2 (one post edited)" kit-publish publish "$T/dcamp" --repo "$T/drepo" --keys "$T/drepo-keys" --quiet
rm -rf "$T/probe" && cp -a "$T/dv1" "$T/probe"
kit-fetch update --state "$T/probe" >"$T/out" 2>"$T/err"
expect_msg "delta: the update is from packs" 'files kept from version 1'
crash_points "$T/dv1" delta

# A first install from packs: nothing installed, or the whole kit.
check "first: an office with nothing installed" kit-fetch init --state "$T/d0" --root "$T/drepo/metadata/1.root.json" --url "file://$T/drepo" --office belgium
rm -rf "$T/probe" && cp -a "$T/d0" "$T/probe"
kit-fetch update --state "$T/probe" >"$T/out" 2>"$T/err"
expect_msg "first: the install is from packs" 'version 2 installed .*\(from packs: '
crash_points "$T/d0" first 1
