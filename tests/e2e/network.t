#!/usr/bin/env bash
# kit-fetch over real networks on loopback: nginx over HTTP and HTTPS (test
# CA), a fault-injecting server (drop half-way, 503s, stall, endless data),
# a mirror that is down, and an HTTP proxy.  The installed kit is checked
# after every failure.
. "$(dirname "$0")/lib.sh"
S="$KIT_SRC/tests/fixtures/servers"
PY=/usr/bin/python3

# A campaign with a 1.5 MB incompressible card, so a transfer can be cut.
cp -a "$KIT_SRC/campaigns/together-2016" "$T/camp"
head -c 1500000 /dev/urandom >"$T/camp/media/poster.png"
$PY - "$T/camp/campaign.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["media"].append({"file": "media/poster.png", "alt": "A large poster for the test"})
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
PY
check "publish a large kit" new_repo repo "$T/camp"
R="$T/repo"
# The kit is its index and one pack (the poster most of it), fetched by range.
pack=$(ls "$R"/packs/*.pack)
size=$(stat -c %s "$pack")
rel="/packs/$(basename "$pack")"

# --- nginx, HTTP and HTTPS ---------------------------------------------------
read -r hp sp < <(bash "$S/nginx.sh" start "$T/nginx" "$R" $$) || { not_ok "nginx starts"; exit 1; }
at_exit "bash '$S/nginx.sh' stop '$T/nginx'"
ok "nginx serves the repository on 127.0.0.1:$hp and :$sp"
# Published two minutes ago: its Last-Modified is then a validator (RFC
# 9110 8.8.2.2; validators.t covers a timestamp younger than a minute).
touch -d "@$(($(date +%s) - 120))" "$R/metadata/timestamp.json"
check "init against nginx over HTTP" kit-fetch init --state "$T/http" --root "$R/metadata/1.root.json" --url "http://127.0.0.1:$hp/" --office belgium
check "a full update over HTTP" kit-fetch update --state "$T/http" -q
check "the kit is installed" test -f "$T/http/kits/together-2016/current/media/poster.png"
lines=$(wc -l <"$T/nginx/logs/access.log")
check "an update with nothing new" kit-fetch update --state "$T/http" -q
new=$(($(wc -l <"$T/nginx/logs/access.log") - lines))
[ "$new" -eq 1 ] && ok "an unchanged repository costs one request" || not_ok "an unchanged repository costs one request" "$new requests"
tail -1 "$T/nginx/logs/access.log" | grep -q '"GET /metadata/timestamp.json HTTP/1.1" 304' &&
	ok "and it is a conditional GET answered 304" || not_ok "and it is a conditional GET answered 304" "$(tail -1 "$T/nginx/logs/access.log")"

check "init against nginx over HTTPS with the test CA" kit-fetch init --state "$T/https" --root "$R/metadata/1.root.json" \
	--url "https://127.0.0.1:$sp/" --office belgium --cacert "$T/nginx/tls/ca.pem"
check "a full update over HTTPS" kit-fetch update --state "$T/https" -q
check "init over HTTPS without the CA" kit-fetch init --state "$T/notrust" --root "$R/metadata/1.root.json" --url "https://127.0.0.1:$sp/"
expect_exit 4 "an unverifiable certificate is a transport failure (exit 4)" kit-fetch update --state "$T/notrust" --retry-base-ms 10
expect_msg "the message gives the TLS reason" "(SSL|certificate|TLS)"
expect_msg "and names the option that gives a CA bundle" "give its CA bundle \(kit-fetch init --cacert FILE\)"

# --- the fault-injecting server ------------------------------------------------
echo '{"rules": []}' >"$T/control.json"
start_server fault $PY "$S/faultserver.py" --root "$R" --stats "$T/stats.json" --control "$T/control.json" --owner $$ --max-seconds 600
fp=$port
[ -n "$fp" ] && ok "the fault server listens on $fp" || { not_ok "the fault server starts"; exit 1; }
office() { # office NAME [init options]: a fresh office on the fault server
	local n=$1; shift
	kit-fetch init --state "$T/$n" --root "$R/metadata/1.root.json" --url "http://127.0.0.1:$fp/" --office belgium "$@" >/dev/null 2>&1
}
sent() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["paths"].get(sys.argv[2], {}).get("bytes", 0))' "$T/stats.json" "$1"; }
rules() { echo "{\"rules\": [$1]}" >"$T/control.json"; }

# every answer longer than 60% of the pack is cut there: the range with
# the poster, not its resumed rest
rules "{\"prefix\": \"/packs/\", \"mode\": \"drop\", \"after\": $((size * 6 / 10)), \"times\": -1}"
office drop
check "a transfer dropped half-way resumes and completes" kit-fetch update --state "$T/drop" -q --retry-base-ms 10
wire=$(sent "$rel")
[ "$wire" -lt $((size * 3 / 2)) ] && ok "bytes on the wire ($wire) are less than 1.5 x the pack ($size): a resume, not a second download" ||
	not_ok "bytes on the wire are less than 1.5 x the pack" "$wire for $size"
check "the resumed kit verifies" kit-fetch verify --state "$T/drop"

rules "{\"prefix\": \"/targets/\", \"mode\": \"status\", \"code\": 503, \"times\": 2}"
office busy
check "503 twice, then success" kit-fetch update --state "$T/busy" -q --retry-base-ms 10

# Failures on an office that already has the kit: it must stay as it was.
check "an office with the kit installed" sh -c "kit-fetch init --state '$T/inst' --root '$R/metadata/1.root.json' --url 'http://127.0.0.1:$hp/' --office belgium >/dev/null && kit-fetch update --state '$T/inst' -q"
cp -a "$T/camp" "$T/camp2"
sed -i 's/"title": "TOGETHER/"title": "TOGETHER v2/' "$T/camp2/campaign.json"
check "publish version 2" kit-publish publish "$T/camp2" --repo "$R" --keys "$T/repo-keys" --quiet
K="$T/inst/kits/together-2016/current"
before=$(tree_hash "$K/")
$PY - "$T/inst/config.json" "http://127.0.0.1:$fp/" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["url"] = sys.argv[2]
json.dump(c, open(p, "w"))
PY
# (an update fetches from the packs, as a first install does: both stall; a
# range of a pack is small, so 100 bytes a try, that resuming cannot finish)
rules '{"prefix": "/targets/", "mode": "stall", "after": 1000, "times": -1}, {"prefix": "/packs/", "mode": "stall", "after": 100, "times": -1}'
expect_exit 4 "a stalled transfer is abandoned (exit 4)" kit-fetch update --state "$T/inst" --speed-limit 1000 --speed-time 2 --retry-base-ms 10
expect_msg "the message says it was too slow" "(slow|speed|Operation too slow)"
[ "$(tree_hash "$K/")" = "$before" ] && ok "the installed kit is intact" || not_ok "the installed kit is intact"

rules '{"prefix": "/targets/", "mode": "extra", "extra": 100000, "length": "lying", "times": -1}, {"prefix": "/packs/", "mode": "extra", "extra": 100000, "length": "lying", "times": -1}'
expect_exit 3 "a server sending more than the signed length is refused (exit 3)" kit-fetch update --state "$T/inst" --retry-base-ms 10
expect_msg "the message says endless data" "(endless|larger|longer)"
[ "$(tree_hash "$K/")" = "$before" ] && ok "the installed kit is intact" || not_ok "the installed kit is intact"

# A mirror that is down, then one that works.
rules ""
down=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
check "init with a dead primary and a live mirror" kit-fetch init --state "$T/mirror" --root "$R/metadata/1.root.json" \
	--url "http://127.0.0.1:$down/" --mirror "http://127.0.0.1:$hp/" --office belgium
check "the update fails over to the mirror" kit-fetch update --state "$T/mirror" -q --retry-base-ms 10
grep -q '"version": 2' "$T/mirror/kits/together-2016/current/manifest.json" && ok "version 2 came from the mirror" || not_ok "version 2 came from the mirror"

# --- through an HTTP proxy -----------------------------------------------------
start_server proxy $PY "$S/proxy.py" --log "$T/proxy.log" --owner $$ --max-seconds 600
pp=$port
check "init behind a proxy" kit-fetch init --state "$T/proxied" --root "$R/metadata/1.root.json" --url "http://127.0.0.1:$hp/" --office belgium --proxy "http://127.0.0.1:$pp"
NO_PROXY= no_proxy= check "an update through the proxy" kit-fetch update --state "$T/proxied" -q
grep -q "GET http://127.0.0.1:$hp/targets/together-2016/" "$T/proxy.log" && ok "the proxy carried the kit" || not_ok "the proxy carried the kit" "$(head -3 "$T/proxy.log")"
