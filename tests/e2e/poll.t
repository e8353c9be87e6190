#!/usr/bin/env bash
# The unchanged poll (issue 17): after a complete update kit-fetch keeps
# poll.json; while the server says the timestamp is unchanged (304) and every kit is
# as that update left it, the next poll loads and verifies nothing else.
# Anything else takes the whole update: a new timestamp, a kit changed on
# disk, a kit rolled back, office.json gone, another configuration, an expiry
# of any metadata the update relied on (not only the timestamp's), a
# poll.json that is damaged, forged or a link.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
R="$T/repo"
KEYS="$T/repo-keys"
MD="$KIT_SRC/campaigns/migrants-day-2021"
cat >"$T/offices.jsonl" <<'EOF'
{"id": "belgium", "name": "IOM Belgium and Luxembourg", "country": "Belgium", "timezone": "Europe/Brussels", "languages": ["fr", "nl", "en"]}
{"id": "hungary", "name": "IOM Hungary", "country": "Hungary", "timezone": "Europe/Budapest", "languages": ["hu", "en"]}
{"id": "kenya", "name": "IOM Kenya", "country": "Kenya", "timezone": "Africa/Nairobi", "languages": ["sw", "en"]}
{"id": "turkmenistan", "name": "IOM Turkmenistan", "country": "Turkmenistan", "timezone": "Asia/Ashgabat", "languages": ["tk", "ru"]}
EOF
# spoil: the stored targets metadata replaced by "{}"; fast: the last poll
# left it so (nothing but the timestamp was loaded); whole: a whole update
# found it damaged and fetched it again
spoil() { printf '{}' >"$O/metadata/targets.json"; }
spoiled() { [ "$(cat "$O/metadata/targets.json")" = "{}" ]; }
check "a repository whose targets (and roles) expire in 6 hours, timestamp and snapshot in 30" \
	kit-publish init --repo "$R" --keys "$KEYS" --quiet --expires targets=6h,snapshot=30d,timestamp=30d
check "the registry" kit-publish office import "$T/offices.jsonl" --repo "$R" --keys "$KEYS" --quiet --expires targets=6h,snapshot=30d,timestamp=30d
check "publish" kit-publish publish "$MD" "$KIT_SRC/campaigns/together-2016" --repo "$R" --keys "$KEYS" --quiet --expires targets=6h,snapshot=30d,timestamp=30d

# Served by nginx: the poll is one request when the server answers 304 to
# the validators kit-fetch kept (file:// has none, and then the update runs
# in the specification's order).  The timestamp is made two minutes old, as
# a repository not published in the last minute is, so its validators can
# prove sameness and are kept (validators.t).
read -r hp _ < <(bash "$KIT_SRC/tests/fixtures/servers/nginx.sh" start "$T/nginx" "$R" $$) || { not_ok "nginx starts"; exit 1; }
at_exit "bash '$KIT_SRC/tests/fixtures/servers/nginx.sh' stop '$T/nginx'"
touch -d "@$(($(date +%s) - 120))" "$R/metadata/timestamp.json"
O="$T/kenya"
check "kenya's office (no overlay: the global kits and office.json)" kit-fetch init --state "$O" --root "$R/metadata/1.root.json" --url "http://127.0.0.1:$hp/" --office kenya --quiet
check "first update" kit-fetch update --state "$O" --quiet
[ -f "$O/poll.json" ] && ok "a complete update leaves poll.json" || not_ok "poll.json written"

# unchanged: the poll is the timestamp (the damaged targets metadata it
# does not even read proves it)
spoil
check "an unchanged poll" kit-fetch update --state "$O"
expect_msg "reports every kit up to date" "migrants-day-2021 is up to date \\(version 1\\)"
expect_msg "with one request" "1 request,"
spoiled && ok "and reads no other metadata" || not_ok "read other metadata"

# a kit changed on disk: repaired by the whole update
K="$O/kits/migrants-day-2021/current"
echo "changed" >>"$K/about.md"
check "a poll after a kit's file changed" kit-fetch update --state "$O"
expect_msg "repairs it" "differs from the signed kit"
spoiled && not_ok "a whole update" || ok "(a whole update)"
check "verify" kit-fetch verify --state "$O"

# office.json gone: put back by the whole update
rm "$O/kits/migrants-day-2021/office.json"
spoil
check "a poll after office.json was removed" kit-fetch update --state "$O" --quiet
[ -f "$O/kits/migrants-day-2021/office.json" ] && ok "office.json is back" || not_ok "office.json back"
spoiled && not_ok "a whole update" || ok "(a whole update)"

# another configuration: the whole update (here: refused for a typo)
cp "$O/config.json" "$T/config.saved"
$PY - "$O/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["office"] = "kenia"; json.dump(c, open(sys.argv[1], "w"))
EOF
expect_exit 2 "a poll with another office configured is a whole update (refused: not registered)" kit-fetch update --state "$O"
expect_msg "with the close match" "did you mean kenya"
cp "$T/config.saved" "$O/config.json"
check "back to kenya" kit-fetch update --state "$O" --quiet

# a forged poll.json (far expiry, a kit that is not there), a damaged one, a link
cp "$O/poll.json" "$T/poll.saved"
$PY - "$O/poll.json" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1])); p["expires"] = 4102444800
p["kits"]["no-such-campaign"] = {"release": 1, "office": "kenya", "beside": None}
json.dump(p, open(sys.argv[1], "w"))
EOF
spoil
check "a poll.json naming a kit that is not on disk" kit-fetch update --state "$O" --quiet
spoiled && not_ok "takes the whole update" || ok "takes the whole update"
printf '{"format": 1, "kits": ' >"$O/poll.json"
spoil
check "a damaged poll.json" kit-fetch update --state "$O" --quiet
spoiled && not_ok "takes the whole update" || ok "takes the whole update"
rm -f "$O/poll.json"
ln -s "$T/poll.saved" "$O/poll.json"
spoil
check "poll.json a link (to a true record)" kit-fetch update --state "$O" --quiet
spoiled && not_ok "is not followed: the whole update" || ok "is not followed: the whole update"
[ -f "$O/poll.json" ] && [ ! -L "$O/poll.json" ] && ok "which writes a new poll.json" || not_ok "new poll.json"
spoil
check "and the next unchanged poll" kit-fetch update --state "$O" --quiet
spoiled && ok "is the timestamp alone again" || not_ok "fast again"
printf '{"signed": {}}' >"$O/metadata/targets.json"

# Seven hours later (no root walk due yet: that is daily) the timestamp
# (30 d) still holds, the targets and the roles (6 h) do not: the poll must
# not skip them.
later=$($PY -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%SZ"))')
KIT_TEST_NOW=$later expect_exit 3 "seven hours later an unchanged poll refuses the expired targets (freeze attack protection)" kit-fetch update --state "$O"
expect_msg "naming them" "targets metadata .*expired"
check "the installed kits stay" kit-fetch verify --state "$O"

# A new timestamp: the whole update.
check "a new timestamp" kit-publish timestamp --repo "$R" --keys "$KEYS" --quiet --expires targets=6h,snapshot=30d,timestamp=30d
spoil
check "a poll after it" kit-fetch update --state "$O" --quiet
spoiled && not_ok "takes the whole update" || ok "takes the whole update"
