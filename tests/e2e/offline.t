#!/usr/bin/env bash
# Offices that sync rarely: kit-publish export writes a copy for removable
# media with a longer-lived timestamp; kit-fetch update --from installs from
# it with the same checks, ignoring stray files; a wrong clock is explained.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

check "publish" new_repo repo
R="$T/repo"
check "export to a USB stick, valid for 60 days" kit-publish export --repo "$R" --keys "$T/repo-keys" --to "$T/usb" --valid-for 60d --quiet
exp=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"]["expires"])' "$T/usb/metadata/timestamp.json")
$PY -c 'import sys,datetime as d; e=d.datetime.fromisoformat(sys.argv[1].replace("Z","+00:00")); sys.exit(0 if e - d.datetime.now(d.timezone.utc) > d.timedelta(days=59) else 1)' "$exp" &&
	ok "the copy's timestamp expires in 60 days ($exp)" || not_ok "the copy's timestamp expires in 60 days" "$exp"
# Files another system leaves on a stick.
touch "$T/usb/._timestamp.json" "$T/usb/metadata/._1.root.json" "$T/usb/.DS_Store"
check "an office that was never online" kit-fetch init --state "$T/office" --root "$T/usb/metadata/1.root.json" --url "https://kits.invalid/repo" --office belgium
check "kit-fetch update --from the stick" kit-fetch update --state "$T/office" --from "$T/usb" -q
check "the kit is installed" test -f "$T/office/kits/together-2016/current/manifest.json"
check "kit-fetch verify" kit-fetch verify --state "$T/office"

# Tampered bytes on the stick are refused like any others.
cp -a "$KIT_SRC/campaigns/together-2016" "$T/camp"
sed -i 's/"title": "TOGETHER/"title": "TOGETHER v2/' "$T/camp/campaign.json"
check "publish version 2" kit-publish publish "$T/camp" --repo "$R" --keys "$T/repo-keys" --quiet
check "export again" kit-publish export --repo "$R" --keys "$T/repo-keys" --to "$T/usb2" --valid-for 60d --quiet
cp -a "$T/usb2" "$T/usb3"
for a in "$T"/usb2/packs/*.pack; do
	$PY - "$a" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for i in range(0, len(b), 64):
    b[i] ^= 1
open(p, "wb").write(bytes(b))
PY
done
# (an update of an installed version takes the index of what it lacks)
for a in "$T"/usb3/targets/together-2016/*.belgium.idx "$T"/usb3/packs/*.idx; do
	printf 'X' | dd of="$a" bs=1 seek=100 conv=notrunc status=none
done
before=$(tree_hash "$T/office/kits/together-2016/current/")
expect_exit 3 "a tampered index on the stick is refused (exit 3)" kit-fetch update --state "$T/office" --from "$T/usb3"
[ "$(tree_hash "$T/office/kits/together-2016/current/")" = "$before" ] && ok "the installed kit is intact" || not_ok "the installed kit is intact"
expect_exit 3 "tampered packs on the stick are refused (exit 3)" kit-fetch update --state "$T/office" --from "$T/usb2"
n=$(grep '^kit-fetch: ' "$T/err" | grep -vc '^kit-fetch: [0-9]* requests\?, ')
[ "$n" = 1 ] && ok "in one line besides the transfer count (no mirror-skipped line for the only source)" ||
	not_ok "in one line besides the transfer count (no mirror-skipped line for the only source)" "$(cat "$T/err")"
[ "$(tree_hash "$T/office/kits/together-2016/current/")" = "$before" ] && ok "the installed kit is intact" || not_ok "the installed kit is intact"

# A clock far ahead: the message gives the local time and the expiry and
# says the clock may be wrong.
KIT_TEST_NOW=2099-01-01T00:00:00Z expect_exit 3 "metadata expired by the local clock (exit 3)" kit-fetch update --state "$T/office" --from "$T/usb"
expect_msg "the message gives the local clock" "2099-01-01"
expect_msg "the message gives the expiry" "$(echo "$exp" | cut -c1-10)|expire"
expect_msg "the message says the clock may be wrong" "clock"
