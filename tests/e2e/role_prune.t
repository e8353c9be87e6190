#!/usr/bin/env bash
# A delegated role that left the snapshot (issue 17): an office taken out of
# the registry loses its role (the delegation leaves the top-level targets,
# the snapshot stops listing it); its role metadata and its kits stay while
# a kept snapshot still lists the role (clients mid-update), and leave the
# repository with the next commit after that.
. "$(dirname "$0")/lib.sh"
R="$T/repo"
KEYS="$T/keys"
C="$KIT_SRC/campaigns/migrants-day-2021"
two_offices "$T/offices.jsonl"
listed() { # ROLE: the current snapshot lists it
	/usr/bin/python3 - "$R" "$1" <<'EOF'
import json, os, sys
r, role = sys.argv[1], sys.argv[2]
ts = json.load(open(os.path.join(r, "metadata", "timestamp.json")))
snap = json.load(open(os.path.join(r, "metadata", "%d.snapshot.json" % ts["signed"]["meta"]["snapshot.json"]["version"])))
sys.exit(0 if role + ".json" in snap["signed"]["meta"] else 1)
EOF
}

check "a repository" kit-publish init --repo "$R" --keys "$KEYS" --quiet
check "the registry" kit-publish office import "$T/offices.jsonl" --repo "$R" --keys "$KEYS" --quiet
check "publish" kit-publish publish "$C" --repo "$R" --keys "$KEYS" --quiet
listed hungary && ok "the snapshot lists hungary's role" || not_ok "hungary listed"
hkits=$(find "$R/targets" -name '*.hungary.idx' | wc -l)
[ "$hkits" -ge 1 ] && ok "hungary's kit is in the repository" || not_ok "hungary kit"

mkdir "$T/md"
cp -r "$C/." "$T/md/"
rm "$T/md/offices/hungary.json"
check "hungary leaves the registry" kit-publish office remove hungary --repo "$R" --keys "$KEYS"
expect_msg "and its role the repository" "the role of office hungary leaves the repository \\(its 1 kit no longer offered\\)"
listed hungary && not_ok "the snapshot no longer lists hungary's role" || ok "the snapshot no longer lists hungary's role"
listed belgium && ok "belgium's role stays" || not_ok "belgium listed"
check "another commit within the grace" kit-publish timestamp --repo "$R" --keys "$KEYS" --quiet
[ -n "$(ls "$R"/metadata/*.hungary.json 2>/dev/null)" ] && ok "hungary's role metadata stays while a kept snapshot lists it" || not_ok "kept within grace"
[ "$(find "$R/targets" -name '*.hungary.idx' | wc -l)" = "$hkits" ] && ok "and its kit" || not_ok "kit kept within grace"

B="$T/belgium"
check "belgium's office" kit-fetch init --state "$B" --root "$R/metadata/1.root.json" --url "file://$R" --office belgium --quiet
check "installs" kit-fetch update --state "$B" --quiet

# two days later every snapshot that listed hungary's role is pruned, and
# with them the role and its kits
find "$R" -type f -exec touch -d "@$(($(date +%s) - 2 * 86400))" {} +
check "a commit two days later" kit-publish timestamp --repo "$R" --keys "$KEYS"
expect_msg "prunes" "pruned [0-9]+ files"
[ -z "$(ls "$R"/metadata/*.hungary.json 2>/dev/null)" ] && ok "hungary's role metadata left the repository" || not_ok "role pruned" "$(ls "$R/metadata")"
[ "$(find "$R/targets" -name '*.hungary.idx*' | wc -l)" = 0 ] && ok "and its kits" || not_ok "kits pruned" "$(find "$R/targets" -name '*hungary*')"
[ -n "$(ls "$R"/metadata/*.belgium.json 2>/dev/null)" ] && [ "$(find "$R/targets" -name '*.belgium.idx' | wc -l)" -ge 1 ] &&
	ok "belgium's role and kit stay" || not_ok "belgium kept"
F="$T/fresh"
check "a new belgium office" kit-fetch init --state "$F" --root "$R/metadata/1.root.json" --url "file://$R" --office belgium --quiet
check "installs from the pruned repository" kit-fetch update --state "$F" --quiet
check "belgium's office updates too" kit-fetch update --state "$B" --quiet
