#!/usr/bin/env bash
# The real kits: each validates; the Hungary office gets the Hungary bundle
# of migrants-day-2021; every bundle's posts export to an iCalendar file that
# an independent parser reads with the manifest's exact instants.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

for c in "$KIT_SRC"/campaigns/*/; do
	check "kit-publish validate $(basename "$c")" kit-publish validate "$c"
done

check "a repository with every campaign" kit-publish init --repo "$T/repo" --keys "$T/keys" --quiet
for c in "$KIT_SRC"/campaigns/*/; do
	check "publish $(basename "$c")" kit-publish publish "$c" --repo "$T/repo" --keys "$T/keys" --quiet
done
check "the Hungary office" kit-fetch init --state "$T/hu" --root "$T/repo/metadata/1.root.json" --url "file://$T/repo" --office hungary
check "kit-fetch update" kit-fetch update --state "$T/hu" -q
M="$T/hu/kits/migrants-day-2021/current/manifest.json"
check "migrants-day-2021 is installed" test -f "$M"
$PY - "$M" "$T/hu/kits/migrants-day-2021/current" >"$T/facts" 2>&1 <<'PY'
import json, sys, os
m = json.load(open(sys.argv[1])); root = sys.argv[2]
assert m["office"] == "hungary", m["office"]
o = m["office_info"]
assert o["country"] == "Hungary" and o["presence_since"] == 1992 and o["timezone"] == "Europe/Budapest", o
text = "".join(open(os.path.join(root, s["path"]), encoding="utf-8").read() for s in m["statements"])
assert "Harnessing the Potential of Human Mobility" in text or "70 years after the Brussels conference" in text, "not the 2021 statement"
assert "540 billion" in text, "not the 2021 statement"
assert any(p["language"] == "hu" for p in m["posts"]), "no Hungarian post"
print("ok")
PY
grep -q '^ok$' "$T/facts" && ok "it is Hungary's bundle: Hungary's facts, the 2021 statement, Hungarian posts" ||
	not_ok "it is Hungary's bundle" "$(tail -3 "$T/facts")"
for k in "$T"/hu/kits/*/; do
	check "kit-fetch installed $(basename "$k") for Hungary (own or global bundle)" test -f "$k/current/manifest.json"
done

# iCalendar of every bundle, in the office zone, read back by python3-icalendar.
cat >"$T/ics.py" <<'PY'
import json, sys, datetime
from icalendar import Calendar
m = json.load(open(sys.argv[1])); cal = Calendar.from_ical(open(sys.argv[2], "rb").read())
ev = {str(e["UID"]): e for e in cal.walk("VEVENT") if not str(e["UID"]).startswith("window")}
assert len(ev) == len(m["posts"]), (len(ev), len(m["posts"]))
for p in m["posts"]:
    e = [e for u, e in ev.items() if u.startswith(p["id"] + ".")]
    assert len(e) == 1, p["id"]
    got = e[0].decoded("DTSTART").astimezone(datetime.timezone.utc)
    want = datetime.datetime.fromisoformat(p["at"].replace("Z", "+00:00"))
    assert got == want, (p["id"], got, want)
print("ok", len(ev))
PY
check "build every bundle" sh -c "for c in '$KIT_SRC'/campaigns/*/; do kit-publish build \"\$c\" --out '$T/b' --quiet || exit 1; done"
for a in "$T"/b/*/*.tar.zst; do
	n="$(basename "$(dirname "$a")")/$(basename "$a" .tar.zst)"
	mkdir -p "$T/x/$n" && tar --zstd -xf "$a" -C "$T/x/$n"
	for tz in "" "--tz Europe/Budapest"; do
		kit-schedule --kit "$T/x/$n" $tz ics >"$T/x/$n.ics" 2>"$T/err" &&
			$PY "$T/ics.py" "$T/x/$n/manifest.json" "$T/x/$n.ics" >"$T/res" 2>&1
		grep -q '^ok' "$T/res" && ok "$n ${tz:-UTC}: one event per post at the manifest's instants" ||
			not_ok "$n ${tz:-UTC}: .ics" "$(tail -2 "$T/err" "$T/res")"
	done
done
