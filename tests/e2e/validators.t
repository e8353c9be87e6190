#!/usr/bin/env bash
# HTTP validators and a timestamp replaced within one second.  Last-Modified
# has one-second resolution and nginx's ETag is built from the modification
# second and the size, so a second timestamp.json of the same size written
# in the same second looks unchanged to a conditional GET.  kit-fetch keeps
# validators only when the response's Date is at least 60 s after its
# Last-Modified (RFC 9110 8.8.2.2): an office that polled between the two
# writes must still see the second one, and an unchanged repository still
# costs one small request once its timestamp is a minute old.
. "$(dirname "$0")/lib.sh"
S="$KIT_SRC/tests/fixtures/servers"
PY=/usr/bin/python3

check "publish" new_repo repo
R="$T/repo"
TS="$R/metadata/timestamp.json"
read -r hp _ < <(bash "$S/nginx.sh" start "$T/nginx" "$R" $$) || { not_ok "nginx starts"; exit 1; }
at_exit "bash '$S/nginx.sh' stop '$T/nginx'"
ok "nginx on 127.0.0.1:$hp"
start_server lm $PY "$S/faultserver.py" --root "$R" --stats "$T/stats.json" --validators last-modified --owner $$ --max-seconds 600
[ -n "$port" ] && ok "a server that sends only Last-Modified on 127.0.0.1:$port" || { not_ok "the Last-Modified server starts"; exit 1; }
lp=$port

cp -a "$KIT_SRC/campaigns/together-2016" "$T/camp"
n=1
version_of() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$1/kits/together-2016/current/manifest.json"; }

# same_second NAME URL: the whole story against one server.
same_second() {
	local name=$1 url=$2 st="$T/$1" sec size1 size2 v
	check "$name: init and first update" sh -c "kit-fetch init --state '$st' --root '$R/metadata/1.root.json' --url '$url' --office belgium -q && kit-fetch update --state '$st' -q"
	check "$name: a new timestamp is signed" kit-publish timestamp --repo "$R" --keys "$T/repo-keys" --quiet
	sec=$(stat -c %Y "$TS")
	size1=$(stat -c %s "$TS")
	check "$name: the office polls and takes it" kit-fetch update --state "$st" -q
	v=$(version_of "$st")
	n=$((n + 1))
	sed -i "s/\"title\": \"TOGETHER[^\"]*/\"title\": \"TOGETHER $n/" "$T/camp/campaign.json"
	check "$name: a new kit version is published" kit-publish publish "$T/camp" --repo "$R" --keys "$T/repo-keys" --quiet
	# The second write lands in the same second as the first, same size.
	touch -d "@$sec" "$TS"
	size2=$(stat -c %s "$TS")
	[ "$size1" = "$size2" ] && ok "$name: both timestamps are $size1 bytes, written in second $sec" ||
		not_ok "$name: both timestamps have the same size" "$size1 vs $size2"
	check "$name: the office polls again" kit-fetch update --state "$st" -q
	[ "$(version_of "$st")" = $((v + 1)) ] && ok "$name: it installed the new version $((v + 1)), not 'up to date'" ||
		not_ok "$name: it installed the new version" "version $(version_of "$st"), expected $((v + 1))"
}

same_second nginx "http://127.0.0.1:$hp/"
same_second lm "http://127.0.0.1:$lp/"

# A minute later the validators are kept: one request, answered 304.
touch -d "@$(($(date +%s) - 120))" "$TS"
check "nginx: an update stores validators of a timestamp two minutes old" kit-fetch update --state "$T/nginx" -q
lines=$(wc -l <"$T/nginx/logs/access.log")
check "nginx: an update with nothing new" kit-fetch update --state "$T/nginx" -q
new=$(($(wc -l <"$T/nginx/logs/access.log") - lines))
[ "$new" -eq 1 ] && tail -1 "$T/nginx/logs/access.log" | grep -q '"GET /metadata/timestamp.json HTTP/1.1" 304' &&
	ok "nginx: one request, answered 304" || not_ok "nginx: one request, answered 304" "$new requests; $(tail -1 "$T/nginx/logs/access.log")"

statuses() { $PY -c 'import json,sys; print(" ".join(map(str, json.load(open(sys.argv[1]))["paths"]["/metadata/timestamp.json"]["statuses"])))' "$T/stats.json"; }
check "lm: an update stores the Last-Modified of an old timestamp" kit-fetch update --state "$T/lm" -q
before=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"])' "$T/stats.json")
check "lm: an update with nothing new" kit-fetch update --state "$T/lm" -q
after=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"])' "$T/stats.json")
[ $((after - before)) -eq 1 ] && [ "$(statuses | awk '{print $NF}')" = 304 ] &&
	ok "lm: one request, answered 304" || not_ok "lm: one request, answered 304" "$((after - before)) requests; statuses $(statuses)"

# Validators an earlier kit-fetch stored without the 60-second rule may be
# the weak ones above: a cache file without "format": 2 is not used.
lm=$(curl -sI "http://127.0.0.1:$lp/metadata/timestamp.json" | tr -d '\r' | sed -n 's/^Last-Modified: //p')
printf '{"etag": "", "last_modified": "%s"}' "$lm" >"$T/lm/http-cache.json"
check "lm: an update with a cache file of an older kit-fetch" kit-fetch update --state "$T/lm" -q
[ "$(statuses | awk '{print $NF}')" = 200 ] && ok "lm: it is not used (a plain GET, answered 200)" || not_ok "lm: the old cache file is not used" "statuses $(statuses)"
grep -q '"format": 2' "$T/lm/http-cache.json" && ok "lm: the cache file is rewritten in format 2" || not_ok "lm: the cache file is rewritten in format 2" "$(cat "$T/lm/http-cache.json")"
