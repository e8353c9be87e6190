#!/usr/bin/env bash
# The whole path: publish, fetch, install, status, verify, tamper, roll back.
. "$(dirname "$0")/lib.sh"

C="$KIT_SRC/campaigns/together-2016"
check "kit-publish init and publish the TOGETHER kit" new_repo repo
R="$T/repo"
check "the repository has a consistent-snapshot root" test -f "$R/metadata/1.root.json"
check "kit-fetch init (Belgium office)" \
	kit-fetch init --state "$T/office" --root "$R/metadata/1.root.json" --url "file://$R" --office belgium
check "kit-fetch update installs the kit" kit-fetch update --state "$T/office" --quiet
K="$T/office/kits/together-2016/current"
check "the installed kit has manifest.json at its top" test -f "$K/manifest.json"
check "the installed kit has its index.html preview" test -f "$K/index.html"
if [ "$(jq -r .office "$K/manifest.json" 2>/dev/null || python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["office"])' "$K/manifest.json")" = belgium ]; then
	ok "the Belgium office got its own bundle"
else
	not_ok "the Belgium office got its own bundle"
fi
expect_exit 0 "a second update is 'already up to date'" kit-fetch update --state "$T/office"
expect_msg "it says so" "up to date"
check "kit-fetch status" kit-fetch status --state "$T/office"
grep -q together-2016 "$T/out" && ok "status lists the installed kit" || not_ok "status lists the installed kit"
check "kit-fetch status --json is JSON" sh -c "kit-fetch status --state '$T/office' --json | python3 -m json.tool"
check "kit-fetch verify on an intact kit" kit-fetch verify --state "$T/office"
before=$(tree_hash "$K/")

# Determinism: two builds of the same source give the same bytes.
check "kit-publish build (1)" kit-publish build "$C" --out "$T/b1" --quiet
check "kit-publish build (2)" kit-publish build "$C" --out "$T/b2" --quiet
if cmp -s "$T/b1/together-2016/global.tar.zst" "$T/b2/together-2016/global.tar.zst" &&
	diff -r "$T/b1" "$T/b2" >/dev/null; then ok "two builds are byte-identical"
else not_ok "two builds are byte-identical"; fi

# Publishing the same source again adds nothing.
v1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"]["version"])' "$R/metadata/timestamp.json")
check "publishing unchanged source again" kit-publish publish "$C" --repo "$R" --keys "$T/repo-keys" --quiet
v2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"]["version"])' "$R/metadata/timestamp.json")
[ "$v1" = "$v2" ] && ok "no new metadata for unchanged source" || not_ok "no new metadata for unchanged source" "$v1 -> $v2"

# Archives are published only when asked for (--archives): the same kits,
# at their versions, for anyone who checks a kit by hand.
[ -z "$(find "$R/targets" -name '*.tar.zst')" ] && ok "no archive without --archives" || not_ok "no archive without --archives" "$(find "$R/targets" -name '*.tar.zst')"
check "publish the same source with --archives" kit-publish publish "$C" --repo "$R" --keys "$T/repo-keys" --archives --quiet
[ "$(find "$R/targets" -name '*.tar.zst' | wc -l)" -ge 2 ] && ok "the kits have their archives now" || not_ok "the kits have their archives now"
# The stock minisign tool checks a published archive by hand.
check "kit-publish pubkey --minisign" sh -c "kit-publish pubkey --repo '$R' --minisign > '$T/kit.pub'"
arch=$(ls "$R"/targets/together-2016/*.global.tar.zst | head -1)
check "minisign -V accepts the archive" minisign -V -q -p "$T/kit.pub" -m "$arch"
grep -q "campaign:together-2016 office:global version:1" "$arch.minisig" &&
	ok "the trusted comment names campaign, office and version" ||
	not_ok "the trusted comment names campaign, office and version"

# Attack: one byte changed in the office's archive in a copy of the repo.
cp -a "$R" "$T/evil"
cp -a "$C" "$T/camp"
python3 - "$T/camp/campaign.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["title"] = c["title"] + " (updated)"
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
PY
check "publish a changed campaign (version 2)" kit-publish publish "$T/camp" --repo "$T/evil" --keys "$T/repo-keys" --quiet
# Attack: one byte changed in signed metadata.
cp -a "$T/evil" "$T/evil-meta"
tsv=$(ls "$T"/evil-meta/metadata/*.targets.json | sort -V | tail -1)
sed -i 's/(updated)/(updatEd)/' "$tsv"
python3 - "$T/office/config.json" "file://$T/evil-meta" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["url"] = sys.argv[2]
json.dump(c, open(p, "w"))
PY
expect_exit 3 "metadata with one byte changed is refused (exit 3)" kit-fetch update --state "$T/office"
[ "$(tree_hash "$K/")" = "$before" ] && ok "the installed kit is untouched" || not_ok "the installed kit is untouched"

# Attack: one byte changed in the office's archive (metadata intact), and
# in every 64 of the packs its update would otherwise come from.
cp -a "$T/evil" "$T/evil-archive"
python3 - "$T"/evil-archive/targets/together-2016/*.belgium.tar.zst <<'PY'
import sys
for p in sys.argv[1:]:
    b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 1
    open(p, "wb").write(bytes(b))
PY
python3 - "$T"/evil-archive/packs/*.pack <<'PY'
import sys
for p in sys.argv[1:]:
    b = bytearray(open(p, "rb").read())
    for i in range(0, len(b), 64):
        b[i] ^= 1
    open(p, "wb").write(bytes(b))
PY
python3 - "$T/office/config.json" "file://$T/evil-archive" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["url"] = sys.argv[2]
json.dump(c, open(p, "w"))
PY
expect_exit 3 "an archive with one byte changed is refused (exit 3)" kit-fetch update --state "$T/office"
expect_msg "the refusal names the problem" "(hash|sha256|SHA-256|length)"
[ "$(tree_hash "$K/")" = "$before" ] && ok "the installed kit is untouched" || not_ok "the installed kit is untouched"
grep -q '"refused"' "$T/office/log" && ok "the refusal is in the log" || not_ok "the refusal is in the log"

# The honest update goes through, and rollback switches back.
python3 - "$T/office/config.json" "file://$T/evil" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["url"] = sys.argv[2]
json.dump(c, open(p, "w"))
PY
check "the honest version 2 installs" kit-fetch update --state "$T/office" --quiet
grep -q '"version": 2' "$K/manifest.json" && ok "version 2 is current" || not_ok "version 2 is current"
check "kit-fetch rollback" kit-fetch rollback --state "$T/office" together-2016
grep -q '"version": 1' "$K/manifest.json" && ok "version 1 is current again" || not_ok "version 1 is current again"

# Tampering on disk is found by verify.
check "back to version 2" kit-fetch update --state "$T/office" --quiet
echo "tampered" >> "$K/index.html"
expect_exit 3 "kit-fetch verify finds a changed file (exit 3)" kit-fetch verify --state "$T/office"
grep -q "index.html" "$T/out" && ok "verify names the file" || not_ok "verify names the file"

# The unpacked-size limit is the office's to set: a kit over it is refused.
check "an office that allows kits of at most 20 kB unpacked" kit-fetch init --state "$T/small" \
	--root "$R/metadata/1.root.json" --url "file://$R" --office belgium --max-unpacked 20k
expect_exit 3 "a kit that unpacks to more is refused (exit 3)" kit-fetch update --state "$T/small"
expect_msg "the message says it is too large" "(decompress|unpack|larger|more than)"
[ ! -e "$T/small/kits/together-2016/current" ] && ok "nothing was installed" || not_ok "nothing was installed"
