#!/usr/bin/env bash
# Local faults: a full disk (a small tmpfs made by the test) while the
# new kit arrives and while its files are written, and a read-only state
# directory.  Each is exit 5 with a clear message, and nothing is lost.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP mounting a small file system needs root"
	trap - EXIT; rm -rf "$T"; exit 0
fi

check "publish version 1" new_repo repo
R="$T/repo"
mkdir -p "$T/fs"
mount -t tmpfs -o size=1m,mode=0755 kit-test "$T/fs" || { not_ok "mount a small tmpfs"; exit 1; }
at_exit "umount -l '$T/fs'"
ok "a 1 MiB tmpfs for the office"
S="$T/fs/office"
check "version 1 installed on it" sh -c "kit-fetch init --state '$S' --root '$R/metadata/1.root.json' --url 'file://$R' --office belgium >/dev/null && kit-fetch update --state '$S' -q"
K="$S/kits/together-2016/current"
before=$(tree_hash "$K/")

# Version 2 carries 1.5 MB that cannot be compressed: it cannot fit.
cp -a "$KIT_SRC/campaigns/together-2016" "$T/camp"
head -c 1500000 /dev/urandom >"$T/camp/media/poster.png"
$PY - "$T/camp/campaign.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["media"].append({"file": "media/poster.png", "alt": "A large poster for the test"})
c["title"] += " (v2)"
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
PY
check "publish version 2 (1.5 MB)" kit-publish publish "$T/camp" --repo "$R" --keys "$T/repo-keys" --quiet
expect_exit 5 "the disk fills while the archive downloads: exit 5" kit-fetch update --state "$S"
expect_msg "the message says the disk is full, and what to do" "No space left.*free space"
[ "$(tree_hash "$K/")" = "$before" ] && ok "the installed kit is intact" || not_ok "the installed kit is intact"
check "kit-fetch verify still passes" kit-fetch verify --state "$S"

# Again with no more room: an update from packs writes each object once,
# where it belongs, and keeps what arrived for the next run, so this time
# the disk fills as the run resumes writing the new files.
mount -o remount,size=1m "$T/fs"
expect_exit 5 "the disk fills while the new files are written: exit 5" kit-fetch update --state "$S"
expect_msg "the message says the disk is full, and what to do" "No space left.*free space"
[ "$(tree_hash "$K/")" = "$before" ] && ok "the installed kit is intact" || not_ok "the installed kit is intact"
[ -z "$(ls -A "$S/staging" 2>/dev/null)" ] && ok "no half-extracted staging is left behind" || not_ok "no half-extracted staging is left behind" "$(ls "$S/staging")"

mount -o remount,size=20m "$T/fs"
check "with room again, the update completes" kit-fetch update --state "$S" -q
grep -q '"version": 2' "$K/manifest.json" && ok "version 2 is installed" || not_ok "version 2 is installed"

# A state directory that cannot be written (root ignores modes: remount ro).
before=$(tree_hash "$K/")
mount -o remount,ro "$T/fs"
expect_exit 5 "a read-only state directory: exit 5" kit-fetch update --state "$S"
expect_msg "the message names the state directory" "$S"
[ "$(tree_hash "$K/")" = "$before" ] && ok "the installed kit is intact" || not_ok "the installed kit is intact"
mount -o remount,rw "$T/fs"
