#!/usr/bin/env bash
# Publishing builds only the kits whose inputs changed (issue 17): each
# kit's target records a digest of what it was built from (custom.inputs:
# campaign.json, the office's overlay, the files the kit takes, kit-publish's
# version and options); a publish skips, without building it, every kit whose
# inputs are those recorded, and a kit whose inputs changed but whose content
# did not keeps its version and records the new inputs.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
R="$T/repo"
KEYS="$T/repo-keys"
C="$T/md"
cp -r "$KIT_SRC/campaigns/migrants-day-2021" "$C"
two_offices "$T/offices.jsonl"

# versions: "office=version:inputs ..." of every kit, from the signed roles
# and the top-level targets the snapshot names
versions() {
	$PY - "$R" <<'EOF'
import json, os, sys
r = sys.argv[1]
ts = json.load(open(os.path.join(r, "metadata", "timestamp.json")))
v = ts["signed"]["meta"]["snapshot.json"]["version"]
snap = json.load(open(os.path.join(r, "metadata", "%d.snapshot.json" % v)))
out = {}
for name, e in snap["signed"]["meta"].items():
    role = json.load(open(os.path.join(r, "metadata", "%d.%s" % (e["version"], name))))
    for t, ti in role["signed"].get("targets", {}).items():
        c = ti.get("custom", {})
        if "office" in c:
            out[c["office"]] = "%d:%s" % (c["version"], c.get("inputs", "-")[:12])
print(" ".join("%s=%s" % kv for kv in sorted(out.items())))
EOF
}
correct() { correct_post "$C/offices/hungary.json" "$1"; }
ver() { versions | tr ' ' '\n' | sed -n "s/^$1=\([0-9]*\):.*/\1/p"; }
inp() { versions | tr ' ' '\n' | sed -n "s/^$1=[0-9]*:\(.*\)/\1/p"; }

check "a new repository" kit-publish init --repo "$R" --keys "$KEYS" --quiet
check "the registry of offices" kit-publish office import "$T/offices.jsonl" --repo "$R" --keys "$KEYS" --quiet
check "publish migrants-day-2021" kit-publish publish "$C" --repo "$R" --keys "$KEYS"
v1=$(versions)
case "$v1" in
belgium=1:[0-9a-f]*\ global=1:[0-9a-f]*\ hungary=1:[0-9a-f]*) ok "every kit's target records its inputs ($v1)" ;;
*) not_ok "every kit's target records its inputs" "$v1" ;;
esac
[ "$(inp belgium)" != "$(inp hungary)" ] && [ "$(inp global)" != "$(inp belgium)" ] &&
	ok "each kit has its own inputs" || not_ok "each kit its own inputs" "$v1"

n=$(ls "$R"/metadata/*.snapshot.json | wc -l)
check "publish again, nothing changed" kit-publish publish "$C" --repo "$R" --keys "$KEYS"
[ "$(grep -c 'unchanged (version 1; same inputs)' "$T/err")" = 3 ] &&
	ok "all three kits are skipped unbuilt, by their inputs" || not_ok "skipped by inputs" "$(cat "$T/err")"
[ "$(ls "$R"/metadata/*.snapshot.json | wc -l)" = "$n" ] && ok "and nothing is signed" || not_ok "nothing signed"

# One post of Hungary's overlay changed: only Hungary's kit is built.
correct 1
check "publish with one post of hungary changed" kit-publish publish "$C" --repo "$R" --keys "$KEYS"
grep -q 'migrants-day-2021/hungary.idx: version 2' "$T/err" && ok "hungary's kit is published as version 2" ||
	not_ok "hungary version 2" "$(cat "$T/err")"
[ "$(grep -c 'unchanged (version 1; same inputs)' "$T/err")" = 2 ] &&
	grep -q 'global.idx unchanged (version 1; same inputs)' "$T/err" &&
	grep -q 'belgium.idx unchanged (version 1; same inputs)' "$T/err" &&
	ok "the global and belgium kits are not built" || not_ok "others skipped by inputs" "$(cat "$T/err")"
[ "$(ver global) $(ver belgium) $(ver hungary)" = "1 1 2" ] && ok "versions 1 1 2 as signed" || not_ok "versions" "$(versions)"

# A statement file only Belgium's kit takes: its inputs change, not the others'.
echo "One more line." >>"$C/statements/iom-belgium-luxembourg.md"
check "publish with belgium's statement file changed" kit-publish publish "$C" --repo "$R" --keys "$KEYS"
[ "$(ver global) $(ver belgium) $(ver hungary)" = "1 2 2" ] && ok "only belgium's kit is new (1 2 2)" || not_ok "belgium only" "$(versions)"
grep -q 'hungary.idx unchanged (version 2; same inputs)' "$T/err" && ok "hungary's is skipped by its inputs" || not_ok "hungary skipped" "$(cat "$T/err")"

# A media file every kit takes, changed on disk with no JSON changed: every kit.
printf '<!-- changed -->\n' >>"$C/media/migrants-day-2021-card.svg"
check "publish with a shared media file changed" kit-publish publish "$C" --repo "$R" --keys "$KEYS" --quiet
[ "$(ver global) $(ver belgium) $(ver hungary)" = "2 3 3" ] && ok "every kit is new (2 3 3)" || not_ok "all new" "$(versions)"

# Other options (another zstd level): the inputs differ, the content not:
# versions stay, the new inputs are recorded, and the next publish skips.
before=$(versions)
check "publish at another zstd level" kit-publish publish "$C" --repo "$R" --keys "$KEYS" --level 3
[ "$(grep -c 'unchanged (version [0-9]*)$' "$T/err")" = 3 ] && ok "each kit is built and found unchanged" || not_ok "built, unchanged" "$(cat "$T/err")"
after=$(versions)
[ "$(ver global) $(ver belgium) $(ver hungary)" = "2 3 3" ] && [ "$before" != "$after" ] &&
	ok "versions kept, new inputs recorded" || not_ok "inputs recorded" "$before" "$after"
check "publish at that level again" kit-publish publish "$C" --repo "$R" --keys "$KEYS" --level 3
[ "$(grep -c 'same inputs' "$T/err")" = 3 ] && ok "now skipped by inputs" || not_ok "skipped after noting" "$(cat "$T/err")"

# The kits as offices get them: hungary's correction, through the role.
O="$T/office"
check "hungary's office" kit-fetch init --state "$O" --root "$R/metadata/1.root.json" --url "file://$R" --office hungary --quiet
check "update" kit-fetch update --state "$O" --quiet
grep -q 'correction 1' "$O/kits/migrants-day-2021/current/manifest.json" && ok "installs the corrected post" || not_ok "corrected post"

# --- pruning with offices' roles: what the current roles name stays, what
# only an older kept role version names stays, the rest goes ---------------------
# path_of OFFICE: the archive of OFFICE's current kit in the repository
path_of() {
	$PY - "$R" "$1" <<'EOF'
import json, os, sys
r, office = sys.argv[1], sys.argv[2]
ts = json.load(open(os.path.join(r, "metadata", "timestamp.json")))
snap = json.load(open(os.path.join(r, "metadata", "%d.snapshot.json" % ts["signed"]["meta"]["snapshot.json"]["version"])))
e = snap["signed"]["meta"][office + ".json"]
role = json.load(open(os.path.join(r, "metadata", "%d.%s.json" % (e["version"], office))))
for name, t in role["signed"]["targets"].items():
    d, base = name.split("/")
    print(os.path.join(r, "targets", d, "%s.%s" % (t["hashes"]["sha256"], base)))
EOF
}
hung_v3=$(path_of hungary)
bel_v3=$(path_of belgium)
nold=$(find "$R/targets" -name '*.idx' | wc -l)
find "$R" -type f -exec touch -d "@$(($(date +%s) - 2 * 86400))" {} +
correct 2
check "publish hungary's next correction two days later" kit-publish publish "$C" --repo "$R" --keys "$KEYS"
expect_msg "prunes" "pruned [0-9]+ files"
[ -f "$bel_v3" ] && ok "belgium's current kit stays (named by its current role)" || not_ok "belgium kept" "$bel_v3"
[ -f "$hung_v3" ] && ok "hungary's previous kit stays (its previous role version is kept for clients mid-update)" || not_ok "hungary v3 kept" "$hung_v3"
[ "$(find "$R/targets" -name '*.idx' | wc -l)" -lt "$nold" ] && ok "older kits left the repository ($nold, now $(find "$R/targets" -name '*.idx' | wc -l))" || not_ok "older kits pruned" "$nold"
F="$T/fresh"
check "a new office of hungary" kit-fetch init --state "$F" --root "$R/metadata/1.root.json" --url "file://$R" --office hungary --quiet
check "installs from the pruned repository" kit-fetch update --state "$F" --quiet
grep -q 'correction 2' "$F/kits/migrants-day-2021/current/manifest.json" && ok "hungary's newest kit" || not_ok "newest kit"

# --- archives: asked for, the same kits gain them at their versions -------
# (the inputs record whether archives were asked for: --archives on an
# unchanged campaign adds them, without --archives they leave again)
before="$(ver global) $(ver belgium) $(ver hungary)"
check "publish with --archives, nothing else changed" kit-publish publish "$C" --repo "$R" --keys "$KEYS" --archives
[ "$(grep -c 'version [0-9]* unchanged, now with its archive' "$T/err")" = 3 ] && ok "each kit gains its archive" || not_ok "each kit gains its archive" "$(cat "$T/err")"
[ "$(ver global) $(ver belgium) $(ver hungary)" = "$before" ] && ok "at the versions it had ($before)" || not_ok "at the versions it had" "$before" "$(versions)"
arch_of() { path_of "$1" | grep '\.tar\.zst$'; }
a=$(arch_of hungary)
[ -n "$a" ] && [ -f "$a" ] && [ -f "$a.minisig" ] && ok "hungary's role signs its archive, with its .minisig beside it" || not_ok "hungary's archive" "$(path_of hungary)"
check "publish with --archives again" kit-publish publish "$C" --repo "$R" --keys "$KEYS" --archives
[ "$(grep -c 'same inputs' "$T/err")" = 3 ] && ok "now skipped by inputs" || not_ok "archives: skipped after adding" "$(cat "$T/err")"
check "an office installs from the repository with archives (from the packs)" sh -c "kit-fetch init --state '$T/fa' --root '$R/metadata/1.root.json' --url 'file://$R' --office hungary -q && kit-fetch update --state '$T/fa' -q && kit-fetch verify --state '$T/fa' -q"
check "publish without --archives" kit-publish publish "$C" --repo "$R" --keys "$KEYS"
[ "$(grep -c 'now without its archive' "$T/err")" = 3 ] && ok "each kit's archive leaves the metadata" || not_ok "archives leave" "$(cat "$T/err")"
[ -z "$(path_of hungary | grep '\.tar\.zst$')" ] && ok "hungary's role lists its .idx only" || not_ok "hungary's role lists its .idx only" "$(path_of hungary)"
