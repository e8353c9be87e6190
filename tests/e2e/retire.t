#!/usr/bin/env bash
# Retiring a campaign (kit-publish retire): it leaves the metadata, offices
# keep or remove its kit as configured, and old metadata versions and the
# files only they named leave the repository once no client can need them.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
R="$T/repo"
KEYS="$T/repo-keys"
check "a repository with two campaigns" kit-publish init --repo "$R" --keys "$KEYS" --quiet
check "published in one batch" kit-publish publish "$KIT_SRC/campaigns/together-2016" "$KIT_SRC/campaigns/migrants-day-2021" --repo "$R" --keys "$KEYS" --quiet
KEEP="$T/keep"
DROP="$T/drop"
check "an office that keeps retired kits (the default)" kit-fetch init --state "$KEEP" --root "$R/metadata/1.root.json" --url "file://$R" --office belgium --quiet
check "an office that removes them" kit-fetch init --state "$DROP" --root "$R/metadata/1.root.json" --url "file://$R" --office belgium --retired remove --quiet
expect_exit 2 "--retired takes keep or remove" kit-fetch init --state "$T/x" --root "$R/metadata/1.root.json" --url "file://$R" --retired maybe
check "both install" kit-fetch update --state "$KEEP" --quiet
check "both install (2)" kit-fetch update --state "$DROP" --quiet
old_archive=$(ls "$R"/targets/together-2016/*.belgium.idx)

expect_exit 1 "retiring a typo is refused" kit-publish retire togther-2016 --repo "$R" --keys "$KEYS"
expect_msg "with the close match" "campaign 'togther-2016' is not in the repository; did you mean together-2016"
check "retire together-2016" kit-publish retire together-2016 --repo "$R" --keys "$KEYS"
latest=$(ls -v "$R"/metadata/*.targets.json | tail -1)
$PY -c 'import json,sys; t=json.load(open(sys.argv[1]))["signed"]["targets"]; bad=[n for n in t if n.startswith("together-2016/")]; sys.exit("still listed: %s" % bad if bad else 0); ' "$latest" &&
	ok "the retired campaign left the targets metadata" || not_ok "left the metadata" "$latest"
$PY -c 'import json,sys; t=json.load(open(sys.argv[1]))["signed"]["targets"]; sys.exit(0 if any(n.startswith("migrants-day-2021/") for n in t) else 1)' "$latest" &&
	ok "the other campaign is still there" || not_ok "other campaign listed"
[ -f "$old_archive" ] && ok "its archives stay while a client may still be on the previous timestamp" || not_ok "archive kept within the grace"
expect_exit 1 "retiring it again is refused" kit-publish retire together-2016 --repo "$R" --keys "$KEYS"

check "the keeping office updates" kit-fetch update --state "$KEEP"
expect_msg "and says the campaign is retired" "together-2016 is retired: the repository no longer offers it; its kit stays"
[ -f "$KEEP/kits/together-2016/current/manifest.json" ] && ok "its kit stays" || not_ok "kit stays"
check "the removing office updates" kit-fetch update --state "$DROP"
expect_msg "and says it removed the kit" "together-2016 is retired: its kit was removed"
[ ! -e "$DROP/kits/together-2016" ] && ok "the kit is gone" || not_ok "kit removed" "$(ls "$DROP/kits")"
[ -f "$DROP/kits/migrants-day-2021/current/manifest.json" ] && ok "the other kit stays" || not_ok "other kit stays"
grep -q '"event":"retired"' "$DROP/log" && ok "the log says so" || not_ok "log entry" "$(tail -2 "$DROP/log")"

# --- pruning: once the grace (the timestamp's lifetime) has passed ----------------
nsnap=$(ls "$R"/metadata/*.snapshot.json | wc -l)
[ "$nsnap" -ge 3 ] && ok "before: $nsnap snapshot versions on disk" || not_ok "several snapshots" "$nsnap"
check "a commit within the grace" kit-publish timestamp --repo "$R" --keys "$KEYS"
[ "$(ls "$R"/metadata/*.snapshot.json | wc -l)" -gt "$nsnap" ] && ok "prunes nothing yet" || not_ok "nothing pruned within the grace"
# two days pass (the timestamp lives one day)
find "$R" -type f -exec touch -d "@$(($(date +%s) - 2 * 86400))" {} +
check "the daily timestamp two days later" kit-publish timestamp --repo "$R" --keys "$KEYS"
expect_msg "prunes" "pruned [0-9]+ files"
[ "$(ls "$R"/metadata/*.snapshot.json | wc -l)" -le 2 ] && ok "old snapshot versions are gone" || not_ok "snapshots pruned" "$(ls "$R/metadata")"
[ "$(ls "$R"/metadata/*.targets.json | wc -l)" = 1 ] && ok "only the current targets version is left" || not_ok "targets pruned" "$(ls "$R/metadata")"
[ "$(ls "$R"/metadata/*.root.json | wc -l)" -ge 1 ] && [ -f "$R/metadata/1.root.json" ] && ok "every root version stays" || not_ok "roots kept"
[ ! -e "$old_archive" ] && ok "the retired campaign's archives left the repository" || not_ok "archives pruned" "$old_archive"
ls "$R"/targets/migrants-day-2021/*.belgium.idx >/dev/null 2>&1 && ok "the current archives stay" || not_ok "current archives kept"
check "the office still updates" kit-fetch update --state "$DROP" --quiet
FRESH="$T/fresh"
check "a new office" kit-fetch init --state "$FRESH" --root "$R/metadata/1.root.json" --url "file://$R" --office hungary --quiet
check "installs from the pruned repository" kit-fetch update --state "$FRESH" --quiet
[ -f "$FRESH/kits/migrants-day-2021/current/manifest.json" ] && [ ! -e "$FRESH/kits/together-2016" ] &&
	ok "the live campaign only" || not_ok "fresh office kits" "$(ls "$FRESH/kits")"
