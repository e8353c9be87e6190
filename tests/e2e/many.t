#!/usr/bin/env bash
# 300 campaigns: kit-fetch installs every one (it used to stop at 256 and
# skip the rest with exit 0), and a status lists them all.
. "$(dirname "$0")/lib.sh"
N=300
R="$T/repo"
# The repository is a fixture: made with the release kit-publish when it is
# built (the sanitizer build takes twice as long for the same bytes).
PUB=kit-publish
[ -x "${KIT_BUILD:-}/bin/kit-publish" ] && PUB="$KIT_BUILD/bin/kit-publish"
mkdir -p "$T/src"
for i in $(seq 1 $N); do
	id=$(printf 'c%03d' "$i")
	mkdir -p "$T/src/$id"
	echo "About campaign $i." >"$T/src/$id/about.md"
	cat >"$T/src/$id/campaign.json" <<JSON
{"id": "$id", "title": "Campaign $i", "window": {"start": "2021-12-16T00:00:00+01:00", "end": "2021-12-19T23:59:59+01:00"},
 "timezone": "Europe/Zurich", "languages": ["en"], "hashtags": ["#Day"], "source_date": "2021-12-15T12:00:00Z",
 "about": "about.md", "statements": [], "videos": [], "media": [],
 "posts": [{"id": "p1", "platform": "x", "time": "2021-12-16T10:00:00+01:00", "language": "en", "text": "Campaign $i #Day"}]}
JSON
done
check "a repository" "$PUB" init --repo "$R" --keys "$T/keys" --quiet
check "$N campaigns published in one batch (one targets version)" "$PUB" publish "$T"/src/c* --repo "$R" --keys "$T/keys" --quiet
[ "$(ls "$R"/metadata/*.targets.json | wc -l)" = 2 ] && ok "one new targets version for the batch" || not_ok "one targets version" "$(ls "$R/metadata")"
O="$T/office"
check "an office" kit-fetch init --state "$O" --root "$R/metadata/1.root.json" --url "file://$R" --quiet
expect_exit 0 "update installs them" kit-fetch update --state "$O" --quiet
n=$(find "$O/kits" -mindepth 2 -maxdepth 2 -name current | wc -l)
[ "$n" = $N ] && ok "all $N campaigns are installed (none skipped)" || not_ok "all $N installed" "installed: $n"
check "status" kit-fetch status --state "$O" --json
/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); n=len(s["kits"]); sys.exit(0 if n == int(sys.argv[2]) else "status lists %d kits" % n)' "$T/out" $N &&
	ok "status lists the $N kits" || not_ok "status lists $N kits" "$(head -c 300 "$T/out")"
expect_exit 0 "the next update is up to date" kit-fetch update --state "$O"
expect_msg "and says so" "up to date"
