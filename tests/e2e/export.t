#!/usr/bin/env bash
# kit-publish export: only the copy carries the long expiry (the live
# repository is re-signed above it with its usual one), written in C
# without following links on either side, every kit checked against its
# signed hash, a report of what was written and until when; --office ID
# copies what that office installs, and its kit-fetch can update from it.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
ts() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"][sys.argv[2]])' "$1/metadata/timestamp.json" "$2"; }
days_left() { $PY -c 'import sys,datetime as d; e=d.datetime.fromisoformat(sys.argv[1].replace("Z","+00:00")); print(int((e - d.datetime.now(d.timezone.utc)).total_seconds() // 86400))' "$1"; }

check "publish TOGETHER" new_repo repo
R="$T/repo"
K="$T/repo-keys"
check "publish Migrants Day 2021" kit-publish publish "$KIT_SRC/campaigns/migrants-day-2021" --repo "$R" --keys "$K" --quiet

# No cp: a cp on the PATH that leaves a mark if anyone runs it.
mkdir "$T/shim"
printf '#!/bin/sh\ntouch "%s/cp-was-run"\nexit 1\n' "$T" >"$T/shim/cp"
chmod +x "$T/shim/cp"
PATH="$T/shim:$PATH" check "export --valid-for 30d" kit-publish export --repo "$R" --keys "$K" --to "$T/usb" --valid-for 30d
[ ! -e "$T/cp-was-run" ] && ok "no cp was run" || not_ok "no cp was run"
live=$(ts "$R" expires); copy=$(ts "$T/usb" expires)
[ "$(days_left "$live")" -le 1 ] && ok "the live timestamp keeps its usual expiry ($live)" || not_ok "the live timestamp keeps its usual expiry" "$live"
[ "$(days_left "$copy")" -ge 29 ] && ok "the copy's timestamp expires in 30 days ($copy)" || not_ok "the copy's timestamp expires in 30 days" "$copy"
[ "$(ts "$R" version)" -gt "$(ts "$T/usb" version)" ] && ok "the live timestamp's version ($(ts "$R" version)) is above the copy's ($(ts "$T/usb" version))" ||
	not_ok "the live version is above the copy's" "$(ts "$R" version) vs $(ts "$T/usb" version)"
expect_msg "the report lists the kits" "together-2016/belgium.idx \(version 1"
expect_msg "and how much was written" "exported 7 kits to .*usb: [0-9]+ files \([0-9]+ packs?\), [0-9]+ bytes"
expect_msg "and until when the copy is valid" "until ${copy}"
n=$(find "$T/usb/targets" -name '*.idx' | wc -l)
[ "$n" = 7 ] && ok "all 7 kits are on the copy" || not_ok "all 7 kits are on the copy" "$n"
[ -z "$(find "$T/usb/targets" -name '*.tar.zst')" ] && ok "no archive on the copy (none was published)" || not_ok "no archive on the copy"
[ "$(cd "$R/packs" && ls *.pack | sort)" = "$(cd "$T/usb/packs" && ls *.pack | sort)" ] && ok "every pack the kits name is on the copy" || not_ok "every pack the kits name is on the copy" "$(ls "$T/usb/packs")"
[ ! -e "$T/usb/packs/catalog.json" ] && ok "the publisher's catalog is not" || not_ok "the publisher's catalog is not"
[ -z "$(find "$T/usb" -name '.*.tmp.*')" ] && ok "no temporary file is left" || not_ok "no temporary file is left"

check "an office on the copy" kit-fetch init --state "$T/office" --root "$T/usb/metadata/1.root.json" --office hungary
check "updates from it (a first install from the packs on the copy)" kit-fetch update --state "$T/office" --from "$T/usb"
expect_msg "from the packs, by range from the files on the copy" "together-2016 version 1 installed .*\(from packs: [0-9]+ objects"
check "verify the kits installed from the copy" kit-fetch verify --state "$T/office"
check "and has both kits" test -f "$T/office/kits/together-2016/current/manifest.json" -a -f "$T/office/kits/migrants-day-2021/current/manifest.json"
check "an office online takes the live repository after the copy" sh -c "kit-fetch init --state '$T/both' --root '$R/metadata/1.root.json' --url 'file://$R' --office hungary -q && kit-fetch update --state '$T/both' --from '$T/usb' -q && kit-fetch update --state '$T/both' -q"

# --office: what that office installs, and nothing else.
check "export --office belgium" kit-publish export --repo "$R" --keys "$K" --to "$T/usb-be" --office belgium --valid-for 14d
got=$(cd "$T/usb-be/targets" && find . -name '*.idx' -o -name '*.tar.zst' | sed 's|/[0-9a-f]*\.|/|' | sort | tr '\n' ' ')
[ "$got" = "./migrants-day-2021/belgium.idx ./together-2016/belgium.idx " ] && ok "only Belgium's kits are on it" || not_ok "only Belgium's kits are on it" "$got"
check "a Belgium office updates from it" sh -c "kit-fetch init --state '$T/be' --root '$T/usb-be/metadata/1.root.json' --office belgium -q && kit-fetch update --state '$T/be' --from '$T/usb-be' -q && kit-fetch verify --state '$T/be'"
check "export --office turkmenistan (no kit of its own for Migrants Day 2021)" kit-publish export --repo "$R" --keys "$K" --to "$T/usb-tm" --office turkmenistan --quiet
got=$(cd "$T/usb-tm/targets" && find . -name '*.idx' -o -name '*.tar.zst' | sed 's|/[0-9a-f]*\.|/|' | sort | tr '\n' ' ')
[ "$got" = "./migrants-day-2021/global.idx ./together-2016/turkmenistan.idx " ] && ok "its own kit, and the global one where it has none" || not_ok "its own kit and the global one" "$got"
check "a Turkmenistan office updates from it" sh -c "kit-fetch init --state '$T/tm' --root '$T/usb-tm/metadata/1.root.json' --office turkmenistan -q && kit-fetch update --state '$T/tm' --from '$T/usb-tm' -q"
expect_exit 4 "a Hungary office cannot: its kits are not on Belgium's copy (exit 4)" sh -c "kit-fetch init --state '$T/hu' --root '$T/usb-be/metadata/1.root.json' --office hungary -q && kit-fetch update --state '$T/hu' --from '$T/usb-be'"
expect_exit 0 "an office id no kit is made for is exported with the global kits" kit-publish export --repo "$R" --keys "$K" --to "$T/usb-x" --office kenia
expect_msg "with a note" "no kit in .* is made for office kenia"
expect_exit 2 "a malformed office id is a usage error (exit 2)" kit-publish export --repo "$R" --keys "$K" --to "$T/usb-y" --office 'Bel/gium'

# Links: never followed, never written through.
mkdir "$T/elsewhere"
mkdir "$T/usb-link" && ln -s "$T/elsewhere" "$T/usb-link/metadata"
expect_exit 5 "a link planted as metadata/ on the medium is refused (exit 5)" kit-publish export --repo "$R" --keys "$K" --to "$T/usb-link"
expect_msg "naming it" "usb-link/metadata"
[ -z "$(ls -A "$T/elsewhere")" ] && ok "nothing was written where it points" || not_ok "nothing was written where it points" "$(ls "$T/elsewhere")"
echo "victim" >"$T/victim"
ln -sf "$T/victim" "$T/usb/minisign.pub"
check "export over a copy with a planted file link" kit-publish export --repo "$R" --keys "$K" --to "$T/usb" --quiet
[ "$(cat "$T/victim")" = victim ] && [ -f "$T/usb/minisign.pub" ] && [ ! -L "$T/usb/minisign.pub" ] &&
	ok "the link was replaced, the file it pointed to is untouched" || not_ok "the link was replaced, its target untouched"
cp -a "$R" "$T/repo-link"
a=$(ls "$T"/repo-link/targets/together-2016/*.belgium.idx)
mv "$a" "$T/moved.idx" && ln -s "$T/moved.idx" "$a"
expect_exit 5 "a link in the repository is not followed (exit 5)" kit-publish export --repo "$T/repo-link" --keys "$K" --to "$T/usb-rl"
[ ! -e "$T/usb-rl/metadata/timestamp.json" ] && ok "and no timestamp was written to the copy" || not_ok "no timestamp was written"

# A kit whose bytes changed in the repository is not copied.
cp -a "$R" "$T/repo-bad"
a=$(ls "$T"/repo-bad/targets/together-2016/*.global.idx)
printf 'X' | dd of="$a" bs=1 seek=100 conv=notrunc status=none
expect_exit 3 "a kit that does not match its signed hash is refused (exit 3)" kit-publish export --repo "$T/repo-bad" --keys "$K" --to "$T/usb-bad"
expect_msg "naming it" "global.idx is [0-9]+ bytes with SHA-256"
[ ! -e "$T/usb-bad/metadata/timestamp.json" ] && ok "and no timestamp was written to the copy" || not_ok "no timestamp was written"
# A pack whose bytes are not its name (its hash) is not copied either.
rm -rf "$T/repo-bad" && cp -a "$R" "$T/repo-bad"
a=$(ls "$T"/repo-bad/packs/*.pack | head -1)
printf 'X' | dd of="$a" bs=1 seek=10 conv=notrunc status=none
expect_exit 3 "a pack that does not match its name (its hash) is refused (exit 3)" kit-publish export --repo "$T/repo-bad" --keys "$K" --to "$T/usb-bad2"
expect_msg "naming it" "packs/[0-9a-f]{64}\.pack is [0-9]+ bytes with SHA-256"
[ ! -e "$T/usb-bad2/metadata/timestamp.json" ] && ok "and no timestamp was written to the copy" || not_ok "no timestamp was written"

# Published with --archives, the copy carries each kit's archive (and its
# .minisig) beside its index, also for one office.
check "publish TOGETHER with --archives" kit-publish publish "$KIT_SRC/campaigns/together-2016" --repo "$R" --keys "$K" --archives --quiet
check "export --office belgium, with archives" kit-publish export --repo "$R" --keys "$K" --to "$T/usb-ar" --office belgium --quiet
got=$(cd "$T/usb-ar/targets" && find . -name '*.idx' -o -name '*.tar.zst' -o -name '*.minisig' | sed 's|/[0-9a-f]*\.|/|' | sort | tr '\n' ' ')
[ "$got" = "./migrants-day-2021/belgium.idx ./together-2016/belgium.idx ./together-2016/belgium.tar.zst ./together-2016/belgium.tar.zst.minisig " ] &&
	ok "Belgium's kits, and the archive of the one published with --archives" || not_ok "Belgium's kits and its archive" "$got"

# The copy never goes where the repository is served from.
expect_exit 2 "--to inside the repository is refused (exit 2)" kit-publish export --repo "$R" --keys "$K" --to "$R/usb"
expect_exit 2 "--to the repository itself is refused (exit 2)" kit-publish export --repo "$R" --keys "$K" --to "$R"
[ "$(days_left "$(ts "$R" expires)")" -le 1 ] && ok "the live timestamp still has its usual expiry" || not_ok "the live timestamp still has its usual expiry"
