#!/usr/bin/env bash
# An office's day: re-initialising with another root, repairing a kit
# changed on disk, rollback and the release kept on disk, status run by
# another user, and an office that only syncs from removable media.
. "$(dirname "$0")/lib.sh"
S="$KIT_SRC/tests/fixtures/servers"
PY=/usr/bin/python3

check "publish" new_repo repo
R="$T/repo"
KEYS="$T/repo-keys"
# a timestamp published two minutes ago: its validators are kept
# (each later than the last: nginx's ETag is the mtime second and the size, so
# two timestamps of one size aged to the same second would look the same)
_aged=0
age() {
	local t=$(($(date +%s) - 120))
	[ "$t" -gt "$_aged" ] || t=$((_aged + 1))
	_aged=$t
	touch -d "@$t" "$R/metadata/timestamp.json"
}
age
read -r hp _ < <(bash "$S/nginx.sh" start "$T/nginx" "$R" $$) || { not_ok "nginx starts"; exit 1; }
at_exit "bash '$S/nginx.sh' stop '$T/nginx'"
URL="http://127.0.0.1:$hp/"
LOG="$T/nginx/logs/access.log"
O="$T/office"
K="$O/kits/together-2016/current"
version_of() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$K/manifest.json"; }
# requests to PREFIX in the access log since line $1
requests_since() { tail -n +"$(($1 + 1))" "$LOG" | grep -c "\"GET $2" || true; }
bytes_since() { tail -n +"$(($1 + 1))" "$LOG" | awk '{s += $10} END {print s + 0}'; }

check "an office on nginx" kit-fetch init --state "$O" --root "$R/metadata/1.root.json" --url "$URL" --office belgium
check "its first update" kit-fetch update --state "$O" -q

# --- init --force starts clean of everything the old trust gave ----------------
check "HQ rotates the targets key (root version 2)" kit-publish rotate --repo "$R" --keys "$KEYS" --role targets --quiet
age
check "the office follows the rotation" kit-fetch update --state "$O" -q
check "and has validators for the new timestamp" test -s "$O/http-cache.json"
check "re-initialised with --force and the root it was first given" \
	kit-fetch init --force --state "$O" --root "$R/metadata/1.root.json" --url "$URL" --office belgium
[ "$(ls -A "$O/metadata")" = root.json ] && ok "only the pinned root is left in metadata/" || not_ok "only the pinned root is left in metadata/" "$(ls -A "$O/metadata" | tr '\n' ' ')"
[ ! -e "$O/http-cache.json" ] && ok "the HTTP validators are gone" || not_ok "the HTTP validators are gone"
[ -z "$(ls -A "$O/downloads" 2>/dev/null)" ] && ok "downloads/ is empty" || not_ok "downloads/ is empty"
expect_exit 0 "the next update walks the root chain again and works" kit-fetch update --state "$O"
[ -f "$K/manifest.json" ] && ok "the installed kit is still there" || not_ok "the installed kit is still there"

# --- verify finds a change, update repairs it ---------------------------------
before=$(tree_hash "$K/")
echo "changed" >>"$K/index.html"
expect_exit 3 "verify finds the changed file (exit 3)" kit-fetch verify --state "$O"
expect_msg "and says to run update" "kit-fetch update"
n=$(wc -l <"$LOG")
expect_exit 0 "update reinstalls it" kit-fetch update --state "$O"
expect_msg "and says so" "reinstall"
[ "$(tree_hash "$K/")" = "$before" ] && ok "the kit is as installed again" || not_ok "the kit is as installed again"
archives_since() { tail -n +"$(($1 + 1))" "$LOG" | grep -c '"GET /targets/[^ ]*\.tar\.zst' || true; }
[ "$(requests_since "$n" /packs/)" -ge 1 ] && [ "$(archives_since "$n")" = 0 ] && ok "from the repository (the only copy on disk was the damaged one), the changed file only, from the packs" || not_ok "the changed file from the packs" "$(requests_since "$n" /packs/) pack requests, $(archives_since "$n") archive requests"
check "verify is happy" kit-fetch verify --state "$O"
touch "$K/media/planted.txt"
expect_exit 0 "a file planted in the kit is removed by the next update" kit-fetch update --state "$O"
[ ! -e "$K/media/planted.txt" ] && [ "$(tree_hash "$K/")" = "$before" ] && ok "the kit is as installed again" || not_ok "the planted file is gone"
rm "$O/kits/together-2016/current"
n=$(wc -l <"$LOG")
expect_exit 0 "a kit whose current link was removed is restored" kit-fetch update --state "$O"
[ "$(tree_hash "$K/")" = "$before" ] && [ "$(requests_since "$n" /targets/)" = 0 ] && ok "from its release on disk, intact, without a download" || not_ok "restored from the release on disk" "$(requests_since "$n" /targets/) archive requests"
n=$(wc -l <"$LOG")
expect_exit 0 "an intact kit is up to date" kit-fetch update --state "$O"
expect_msg "it says so" "up to date"
[ "$(requests_since "$n" /)" = 1 ] && ok "one request" || not_ok "one request" "$(requests_since "$n" /)"

# --- rollback, then update reuses the release on disk ---------------------------
cp -a "$KIT_SRC/campaigns/together-2016" "$T/camp"
sed -i 's/"title": "TOGETHER/"title": "TOGETHER v2/' "$T/camp/campaign.json"
check "publish version 2" kit-publish publish "$T/camp" --repo "$R" --keys "$KEYS" --quiet
age
check "install version 2" kit-fetch update --state "$O" -q
v2=$(tree_hash "$K/")
check "rollback" kit-fetch rollback --state "$O" together-2016
[ "$(version_of)" = 1 ] && ok "version 1 is current" || not_ok "version 1 is current"
n=$(wc -l <"$LOG")
expect_exit 0 "update after the rollback" kit-fetch update --state "$O"
[ "$(version_of)" = 2 ] && [ "$(tree_hash "$K/")" = "$v2" ] && ok "version 2 is current again" || not_ok "version 2 is current again"
[ "$(requests_since "$n" /targets/)" = 0 ] && ok "without downloading it: releases/2 was reused ($(bytes_since "$n") bytes in $(requests_since "$n" /) request(s))" ||
	not_ok "releases/2 was reused" "$(requests_since "$n" /targets/) archive requests, $(bytes_since "$n") bytes"
check "verify after the reuse" kit-fetch verify --state "$O"
# a release changed on disk (releases share unchanged files as hard links,
# so an edit of one reaches the others) is not rolled back to
cp "$O/kits/together-2016/releases/1/index.html" "$T/index.saved"
printf 'EDITED' | dd of="$O/kits/together-2016/releases/1/index.html" bs=1 seek=10 conv=notrunc status=none
expect_exit 3 "rollback to a release changed on disk is refused (exit 3)" kit-fetch rollback --state "$O" together-2016
expect_msg "saying so" "release 1 of .* differs from its manifest .* not rolled back to; version 2 stays current"
[ "$(version_of)" = 2 ] && ok "version 2 stays current" || not_ok "version 2 stays current"
cat "$T/index.saved" >"$O/kits/together-2016/releases/1/index.html"
check "rollback again" kit-fetch rollback --state "$O" together-2016
echo "changed" >>"$O/kits/together-2016/releases/2/index.html"
n=$(wc -l <"$LOG")
expect_exit 0 "update with a changed releases/2 on disk" kit-fetch update --state "$O"
[ "$(version_of)" = 2 ] && [ "$(tree_hash "$K/")" = "$v2" ] && ok "version 2 is current, as signed" || not_ok "version 2 is current, as signed"
[ $(($(requests_since "$n" /targets/) + $(requests_since "$n" /packs/))) -ge 1 ] && ok "downloaded again (from the packs or the archive), not reused" || not_ok "downloaded again" "nothing requested under /targets/ or /packs/"
check "rollback once more" kit-fetch rollback --state "$O" together-2016
$PY - "$O/kits/together-2016/releases/2" <<'PY'
# a release whose manifest and files were changed together: the manifest no
# longer has the signed content digest
import hashlib, json, sys, os
d = sys.argv[1]; m = json.load(open(d + "/manifest.json"))
data = b"<html>replaced</html>\n"
open(d + "/index.html", "wb").write(data)
for f in m["files"]:
    if f["path"] == "index.html":
        f["size"] = len(data); f["sha256"] = hashlib.sha256(data).hexdigest()
json.dump(m, open(d + "/manifest.json", "w"), indent=2)
PY
n=$(wc -l <"$LOG")
expect_exit 0 "update with a releases/2 whose manifest was changed with its files" kit-fetch update --state "$O"
[ "$(tree_hash "$K/")" = "$v2" ] && [ $(($(requests_since "$n" /targets/) + $(requests_since "$n" /packs/))) -ge 1 ] && ok "not reused: downloaded and installed as signed" || not_ok "not reused" "nothing requested under /targets/ or /packs/"

# --- status is read-only: another user, a state it can only read ----------------
reason=$($PY -c 'print("refused update from somewhere: " + "x" * 400 + " END")')
$PY - "$O/status.json" "$reason" <<'PY'
import json, sys
json.dump({"last_check": "2026-01-01T00:00:00Z", "result": "failed", "reason": sys.argv[2], "exit": 3}, open(sys.argv[1], "w"))
PY
rm -f "$O/lock"
chmod 0755 "$T"
chmod -R go-w "$O"
listing() { (cd "$O" && find . -printf '%p %s %T@ %C@\n' | sort); }
l0=$(listing)
NOBODY="setpriv --reuid 65534 --regid 65534 --clear-groups"
expect_exit 0 "status as uid 65534 on a state it can only read" $NOBODY kit-fetch status --state "$O"
grep -q "together-2016" "$T/out" && ok "it lists the kit" || not_ok "it lists the kit" "$(cat "$T/out")"
grep -q "x END" "$T/out" && ok "the last error is shown whole ($(grep -c . <<<"$reason") line, ${#reason} bytes)" || not_ok "the last error is shown whole" "$(grep 'last error' "$T/out" | wc -c) bytes"
expect_exit 0 "status --json as uid 65534" $NOBODY kit-fetch status --state "$O" --json
$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["reason"].endswith("END") and j["kits"] else 1)' "$T/out" && ok "JSON with the kit and the whole reason" || not_ok "JSON with the kit and the whole reason"
check "status as root" kit-fetch status --state "$O"
grep -q "x END" "$T/out" && ok "the last error is shown whole to root too" || not_ok "the last error is shown whole to root too" "$(grep 'last error' "$T/out" | wc -c) bytes"
[ "$(listing)" = "$l0" ] && ok "nothing in the state directory changed, no lock file was made" || not_ok "the state directory did not change" "$(diff <(echo "$l0") <(listing) | head -5)"
expect_exit 5 "update as uid 65534 is refused (exit 5)" $NOBODY kit-fetch update --state "$O"
expect_msg "it says the state is not its to write" "not writable|belongs to uid"

# --- an office that only syncs from removable media ---------------------------
check "export to a stick" kit-publish export --repo "$R" --keys "$KEYS" --to "$T/usb" --valid-for 30d --quiet
check "init without --url" kit-fetch init --state "$T/usb-office" --root "$R/metadata/1.root.json" --office belgium
expect_msg "it says updates come from removable media" "--from"
expect_exit 2 "update without --from says how (exit 2)" kit-fetch update --state "$T/usb-office"
expect_msg "naming --from" "--from DIR"
check "update --from the stick" kit-fetch update --state "$T/usb-office" --from "$T/usb" -q
[ -f "$T/usb-office/kits/together-2016/current/manifest.json" ] && ok "the kit is installed" || not_ok "the kit is installed"
check "status without a URL" kit-fetch status --state "$T/usb-office"
grep -q "removable media" "$T/out" && ok "status says where updates come from" || not_ok "status says where updates come from" "$(head -2 "$T/out")"

# --- update --from an older copy: nothing new, not an attack --------------------
U="$T/usb-office7"
check "an office that syncs from sticks" kit-fetch init --state "$U" --root "$R/metadata/1.root.json" --url "https://kits.invalid/" --office belgium
check "publish version 3" sh -c "sed -i 's/TOGETHER v2/TOGETHER v3/' '$T/camp/campaign.json' && kit-publish publish '$T/camp' --repo '$R' --keys '$KEYS' --quiet"
check "a newer stick" kit-publish export --repo "$R" --keys "$KEYS" --to "$T/usb3" --valid-for 30d --quiet
check "update from the newer stick" kit-fetch update --state "$U" --from "$T/usb3" -q
before=$(tree_hash "$U/kits/together-2016/current/")
expect_exit 0 "update from the older stick is not refused (exit 0)" kit-fetch update --state "$U" --from "$T/usb"
expect_msg "it says there is nothing new on it" "nothing new"
old=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"]["version"])' "$T/usb/metadata/timestamp.json")
new=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"]["version"])' "$T/usb3/metadata/timestamp.json")
expect_msg "with both versions ($old on the stick, $new trusted)" "version $old.*version $new"
[ "$(tree_hash "$U/kits/together-2016/current/")" = "$before" ] && ok "the kit is unchanged" || not_ok "the kit is unchanged"
expect_exit 0 "update from the same stick again" kit-fetch update --state "$U" --from "$T/usb3"
expect_msg "nothing new on it either" "nothing new"
cp -a "$T/usb" "$T/usb-forged"
$PY - "$T/usb-forged/metadata/timestamp.json" <<'PY'
import json, sys
p = sys.argv[1]; j = json.load(open(p)); j["signed"]["version"] = 999
json.dump(j, open(p, "w"))
PY
expect_exit 3 "a stick that claims to be newer but does not verify is refused (exit 3)" kit-fetch update --state "$U" --from "$T/usb-forged"
[ "$(tree_hash "$U/kits/together-2016/current/")" = "$before" ] && ok "the kit is unchanged" || not_ok "the kit is unchanged"
