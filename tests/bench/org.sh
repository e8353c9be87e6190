# org.sh: the organisation scenario of make bench (BENCH_SCENARIO=org),
# sourced by run.sh after its set-up (timed, start_nginx, log_lines, meta).
#
# An organisation of BENCH_ORG_CAMPAIGNS campaigns (default 30) with
# BENCH_ORG_OFFICES office overlays each (default 400), copies of
# campaigns/migrants-day-2021 (tests/bench/gen_org.py), published with the
# real kit-publish into a repository that nginx serves on 127.0.0.1, and
# two offices (o001 and o002) fetching it with the real kit-fetch.  Bytes
# are nginx's $bytes_sent per request, from its access log.  Then the goals
# of issue 17, each PASS or MISS (report_org.py), into $BENCH/org.json and
# $BENCH/org.txt.  Time: the publish of each campaign dominates (about
# 100 s for 400 offices before the work of issue 17).
# shellcheck shell=bash disable=SC2154

org_bytes() { # N [URI-PREFIX]: "requests bytes_sent request_bytes" after line N
	tail -n +"$(($1 + 1))" "$NGINX_DIR/logs/access.log" |
		awk -v p="${2:-}" 'index($2, p) == 1 { n++; b += $4; r += $6 } END { printf "%d %d %d\n", n, b, r }'
}

org_fetch() { # LABEL STATE: one kit-fetch update, timed, its bytes recorded
	local label=$1 st=$2 n0
	n0=$(log_lines)
	timed org "$label" 1 "$BIN/kit-fetch" update --state "$st" --quiet
	meta org "${label}_all" "$(org_bytes "$n0")"
	meta org "${label}_metadata" "$(org_bytes "$n0" /repo/metadata/)"
}

bench_org() {
	local nc=${BENCH_ORG_CAMPAIGNS:-30} no=${BENCH_ORG_OFFICES:-400} org=$BENCH/org-src
	local repo=$W/www/repo keys=$W/org-keys url c last
	case $nc$no in *[!0-9]*) echo "bench: BENCH_ORG_CAMPAIGNS and BENCH_ORG_OFFICES take numbers" >&2; exit 2 ;; esac
	[ "$nc" -ge 1 ] && [ "$nc" -le 99 ] && [ "$no" -ge 2 ] && [ "$no" -le 999 ] ||
		{ echo "bench: BENCH_ORG_CAMPAIGNS takes 1..99 and BENCH_ORG_OFFICES 2..999" >&2; exit 2; }
	meta org campaigns "$nc"
	meta org offices "$no"
	echo "bench: org: generating $nc campaigns x $no offices from campaigns/migrants-day-2021"
	"$PY" "$HERE/gen_org.py" "$SRC/campaigns/migrants-day-2021" "$org" --campaigns "$nc" --offices "$no" \
		--offices-file "$BENCH/org-offices.jsonl"
	"$BIN/kit-publish" init --repo "$repo" --keys "$keys" --quiet
	# The registry of offices: each office's kits then go into its own
	# delegated role (BENCH_ORG_FLAT=1 measures the flat layout instead).
	if [ "${BENCH_ORG_FLAT:-0}" != 1 ]; then
		"$BIN/kit-publish" office import "$BENCH/org-offices.jsonl" --repo "$repo" --keys "$keys" --quiet
	fi
	meta org layout "$([ "${BENCH_ORG_FLAT:-0}" = 1 ] && echo flat || echo delegated)"
	url=http://127.0.0.1:$PORT/repo
	for c in $(seq -f 'org-%02g' 1 "$nc"); do
		echo "bench: org: publishing $c ($no offices)"
		timed org publish_new 1 "$BIN/kit-publish" publish "$org/$c" --repo "$repo" --keys "$keys" --quiet
		last=$(tail -1 "$RAW" | cut -f4,6)
		meta org "publish_$c" "$last"
	done
	meta org targets_bytes "$(stat -c %s "$(ls -v "$repo"/metadata/*.targets.json | tail -1)")"
	meta org snapshot_bytes "$(stat -c %s "$(ls -v "$repo"/metadata/*.snapshot.json | tail -1)")"
	meta org metadata_dir_bytes "$(du -sb "$repo/metadata" | cut -f1)"

	# Offices poll a repository last published minutes or hours ago: a
	# timestamp two minutes old has validators that prove sameness (RFC
	# 9110's 60 s rule), so the unchanged poll is one request answered 304.
	touch -d "@$(($(date +%s) - 120))" "$repo/metadata/timestamp.json"
	for o in o001 o002; do
		"$BIN/kit-fetch" init --state "$W/$o" --root "$repo/metadata/1.root.json" --url "$url" \
			--office "$o" --quiet
		echo "bench: org: first install for office $o"
		org_fetch "first_$o" "$W/$o"
	done
	[ "$(find "$W/o001/kits" -maxdepth 1 -mindepth 1 | wc -l)" -eq "$nc" ] ||
		{ echo "bench: office o001 did not install all $nc campaigns" >&2; exit 1; }
	org_fetch unchanged "$W/o001"
	# its CPU (user+sys of the whole process) to the microsecond: GNU time
	# prints hundredths; the median of 11 more unchanged polls
	meta org unchanged_cpu "$("$PY" -c '
import resource, statistics, subprocess, sys
cpu = []
for _ in range(11):
    a = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(b.ru_utime - a.ru_utime + b.ru_stime - a.ru_stime)
print("%.4f" % statistics.median(cpu))' "$BIN/kit-fetch" update --state "$W/o001" --quiet)"

	echo "bench: org: one post of office o002 changed in org-01"
	"$PY" "$HERE/gen_org.py" --edit "$org/org-01" --office o002
	timed org publish_one_post 1 "$BIN/kit-publish" publish "$org/org-01" --repo "$repo" --keys "$keys" --quiet
	org_fetch other_changed "$W/o001"
	org_fetch own_changed "$W/o002"
	grep -q 'correction 1' "$W/o002/kits/org-01/current/manifest.json" ||
		{ echo "bench: office o002 did not get its corrected post" >&2; exit 1; }
	"$PY" "$HERE/report_org.py" "$RAW" "$META" "$BENCH/org.json" | tee "$BENCH/org.txt"
}
