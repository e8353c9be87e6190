#!/usr/bin/env bash
# 400 offices poll while HQ publishes (issue 17): every office of a
# 400-office campaign, four at a time, on nginx on 127.0.0.1, polls again
# and again while kit-publish publishes corrections; no poll may fail or be
# refused, and each office ends with its own corrected kit.  Bounded: 400
# offices, a few rounds, a watchdog on nginx, everything on loopback.
. "$(dirname "$0")/lib.sh"
S="$KIT_SRC/tests/fixtures/servers"
PY=/usr/bin/python3
N=${ORG_POLL_OFFICES:-400}
P=4
R="$T/repo"
KEYS="$T/keys"
# The repository is a fixture: the release kit-publish when it is built.
PUB=kit-publish
[ -x "${KIT_BUILD:-}/bin/kit-publish" ] && PUB="$KIT_BUILD/bin/kit-publish"

$PY "$KIT_SRC/tests/bench/gen_org.py" "$KIT_SRC/campaigns/migrants-day-2021" "$T/src" \
	--campaigns 1 --offices "$N" --offices-file "$T/offices.jsonl" && ok "a campaign with $N office overlays" || not_ok "generate"
check "a repository" "$PUB" init --repo "$R" --keys "$KEYS" --quiet
check "the registry of $N offices" "$PUB" office import "$T/offices.jsonl" --repo "$R" --keys "$KEYS" --quiet
check "published (one role per office)" "$PUB" publish "$T/src/org-01" --repo "$R" --keys "$KEYS" --quiet
read -r hp _ < <(bash "$S/nginx.sh" start "$T/nginx" "$R" $$) || { not_ok "nginx starts"; exit 1; }
at_exit "bash '$S/nginx.sh' stop '$T/nginx'"
URL="http://127.0.0.1:$hp/"
ids=$(cut -d'"' -f4 "$T/offices.jsonl")

# poll ROUND: every office once, P at a time; a line per failure in $T/fail.ROUND
poll() {
	: >"$T/fail.$1"
	printf '%s\n' $ids | xargs -P "$P" -I{} sh -c \
		'kit-fetch update --state "$1/o/$2" --quiet 2>>"$1/o/$2.err" || echo "$2 exit $?" >>"$1/fail.$3"' _ "$T" {} "$1"
}
mkdir -p "$T/o"
printf '%s\n' $ids | xargs -P "$P" -I{} kit-fetch init --state "$T/o/{}" --root "$R/metadata/1.root.json" --url "$URL" --office {} --quiet
[ "$(ls "$T/o" | wc -l)" = "$N" ] && ok "$N offices set up" || not_ok "$N offices set up"
poll 0
[ ! -s "$T/fail.0" ] && ok "all $N offices install their kit" || not_ok "first installs" "$(head -3 "$T/fail.0")" "$(cat "$T"/o/*.err | head -3)"

# Corrections published while the offices poll, each round.
(
	for r in 1 2 3; do
		for o in $(printf '%s\n' $ids | shuf -n 20 --random-source=<(yes)); do
			$PY "$KIT_SRC/tests/bench/gen_org.py" --edit "$T/src/org-01" --office "$o" --n "$r"
		done
		"$PUB" publish "$T/src/org-01" --repo "$R" --keys "$KEYS" --quiet || echo "publish $r failed" >>"$T/publish.fail"
		sleep 1
	done
) &
pub=$!
for r in 1 2 3; do poll "$r"; done
wait "$pub"
poll 4
[ ! -e "$T/publish.fail" ] && ok "three corrections published while the offices polled" || not_ok "publishes" "$(cat "$T/publish.fail")"
fails=$(cat "$T"/fail.[1-4] | wc -l)
[ "$fails" = 0 ] && ok "no poll failed or was refused in 4 rounds of $N offices" ||
	not_ok "no poll failed" "$fails failures: $(cat "$T"/fail.[1-4] | head -3)" "$(grep -h . "$T"/o/*.err | head -3)"
grep -h '"event":"refused"' "$T"/o/*/log >/dev/null 2>&1 && not_ok "no refusal in any office's log" "$(grep -h '"event":"refused"' "$T"/o/*/log | head -2)" || ok "no refusal in any office's log"
# every office has the newest version of its own kit
bad=0
for o in $ids; do
	want=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["posts"][0]["text"])' "$T/src/org-01/offices/$o.json")
	grep -qF "$want" "$T/o/$o/kits/org-01/current/manifest.json" 2>/dev/null || bad=$((bad + 1))
done
[ "$bad" = 0 ] && ok "each office ends with its own kit as last published" || not_ok "each office current" "$bad offices behind"
[ "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["office"])' "$T/o/o007/kits/org-01/current/manifest.json")" = o007 ] &&
	ok "an office's kit is its own (o007)" || not_ok "own kit"
