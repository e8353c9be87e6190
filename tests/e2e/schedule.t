#!/bin/bash
# kit-schedule end to end: the real program on the fixture kits, its .ics
# checked by an independent parser (Debian's python3-icalendar), its CSV
# read back with Python's csv module, exit codes per error class.
#
#   KIT_BIN=<dir with kit-schedule> KIT_SRC=<repo root> prove tests/e2e/schedule.t
#
# Works in its own temporary directory, removed on success, kept on failure.
set -u

BIN=${KIT_BIN:?set KIT_BIN to the directory holding kit-schedule}/kit-schedule
SRC=${KIT_SRC:?set KIT_SRC to the repository root}
FIX=$SRC/tests/fixtures/schedule
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/kit-schedule-e2e.XXXXXX) || exit 1
export KIT_TEST_NOW=2016-11-01T00:00:00Z # kit_time_now() for runs without --now
unset TZ

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && sed 's/^/# /' "$2" | head -40
	return 0
}
# check DESCRIPTION COMMAND...: ok if the command succeeds; its output in $TMP/last.out
check() {
	local d=$1; shift
	if "$@" >"$TMP/last.out" 2>&1; then ok "$d"; else not_ok "$d" "$TMP/last.out"; fi
}
# expect_exit CODE DESCRIPTION ARGS...: run kit-schedule, want CODE, one stderr line, nothing on stdout
expect_exit() {
	local want=$1 d=$2 rc; shift 2
	"$BIN" "$@" >"$TMP/x.out" 2>"$TMP/x.err"
	rc=$?
	if [ "$rc" = "$want" ] && [ ! -s "$TMP/x.out" ] &&
		[ "$(grep -c '' "$TMP/x.err")" -ge 1 ] &&
		grep -q '^kit-schedule: ' "$TMP/x.err"; then
		ok "$d (exit $rc)"
	else
		echo "exit $rc, wanted $want" >>"$TMP/x.err"
		not_ok "$d" "$TMP/x.err"
	fi
}

echo "1..32"

# ---- iCalendar: parses, one VEVENT per post, exact instants ------------------
cat >"$TMP/check_ics.py" <<'EOF'
import datetime, json, sys
import icalendar

ics, manifest, mode = sys.argv[1], sys.argv[2], sys.argv[3]
m = json.load(open(manifest, encoding="utf-8"))
posts = {p["id"]: p for p in m["posts"]}
raw = open(ics, "rb").read()
assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""), "CRLF line ends"
for line in raw.split(b"\r\n"):
    assert len(line) <= 75, "line over 75 octets: %r" % line
    line.decode("utf-8")  # every physical line is valid UTF-8: no split sequence
cal = icalendar.Calendar.from_ical(raw)
assert str(cal["VERSION"]) == "2.0" and str(cal["METHOD"]) == "PUBLISH"
assert "PRODID" in cal and str(cal["CALSCALE"]) == "GREGORIAN"
vtz = None
for c in cal.walk("VTIMEZONE"):
    vtz = c.to_tz()
if mode == "tzid":
    assert vtz is not None, "no VTIMEZONE with --tz"
seen, dst_days = set(), 0
for ev in cal.walk("VEVENT"):
    uid = str(ev["UID"])
    if uid.startswith("window~"):
        assert ev.decoded("DTSTART") == datetime.date.fromisoformat(m["window"]["start"][:10])
        continue
    pid, office, rest = uid.split(".", 2)
    assert office == m["office"] and rest == m["campaign"] + "@kit", uid
    p = posts[pid]
    seen.add(pid)
    want = datetime.datetime.strptime(p["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    prop = ev["DTSTART"]
    got = ev.decoded("DTSTART")
    assert got.tzinfo is not None, "floating DTSTART for " + pid
    assert got == want, "%s: %s != %s" % (pid, got, want)
    if mode == "tzid" and prop.params.get("TZID"):
        # the generated VTIMEZONE must agree too, not only the tz database
        local = got.astimezone(datetime.timezone.utc).astimezone(vtz)
        assert local.replace(tzinfo=None) == prop.dt.replace(tzinfo=None), pid
        assert local == want, pid
    if p["at"][:10] in ("2021-03-28", "2021-10-31"):
        dst_days += 1
    assert str(ev["STATUS"]) == "CONFIRMED"
    assert int(ev["SEQUENCE"]) == m["version"] - 1
    assert p["text"] in str(ev["DESCRIPTION"])
    assert str(ev.get("URL", "")) == (p["link"] or "")
    alarms = ev.walk("VALARM")
    assert len(alarms) == 1 and str(alarms[0]["ACTION"]) == "DISPLAY"
    assert alarms[0].decoded("TRIGGER") == datetime.timedelta(minutes=-30)
assert seen == set(posts), "events %s != posts %s" % (sorted(seen), sorted(posts))
print("posts", len(seen), "dst-day posts", dst_days)
if m["campaign"] == "migrants-day-2021":
    assert dst_days == 5, dst_days
EOF

for kit in together-2016:Europe/Budapest hungary-2021:Europe/Budapest turkmenistan-2020:Asia/Ashgabat; do
	name=${kit%%:*} zone=${kit#*:}
	"$BIN" --kit "$FIX/$name" ics >"$TMP/$name.utc.ics" 2>"$TMP/$name.err" &&
		check "ics $name (UTC): parses, one event per post, instants = manifest" \
			$PY "$TMP/check_ics.py" "$TMP/$name.utc.ics" "$FIX/$name/manifest.json" utc ||
		not_ok "ics $name (UTC) ran" "$TMP/$name.err"
	"$BIN" --kit "$FIX/$name" --tz "$zone" ics --out "$TMP/$name.tzid.ics" 2>"$TMP/$name.err" &&
		check "ics $name (TZID $zone + VTIMEZONE): instants = manifest" \
			$PY "$TMP/check_ics.py" "$TMP/$name.tzid.ics" "$FIX/$name/manifest.json" tzid ||
		not_ok "ics $name (TZID) ran" "$TMP/$name.err"
done

# the DST-day posts really were among those compared
if $PY "$TMP/check_ics.py" "$TMP/hungary-2021.tzid.ics" "$FIX/hungary-2021/manifest.json" tzid | grep -q 'dst-day posts 5'; then
	ok "posts on 2021-03-28 and 2021-10-31 (Europe/Budapest DST changes) compared"
else
	not_ok "DST-day posts compared"
fi

# withdrawn post: cancelled, sequence above the earlier export's
"$BIN" --kit "$FIX/hungary-2021" ics --previous "$FIX/hungary-2021-v1/manifest.json" >"$TMP/prev.ics" 2>"$TMP/prev.err"
check "ics --previous: withdrawn post is CANCELLED with a higher SEQUENCE" $PY - "$TMP/prev.ics" <<'EOF'
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
ev = [e for e in cal.walk("VEVENT") if str(e["UID"]).startswith("hu-x-withdrawn.")]
assert len(ev) == 1 and str(ev[0]["STATUS"]) == "CANCELLED", ev
assert int(ev[0]["SEQUENCE"]) > 0  # the v1 export said SEQUENCE:0
EOF

# ---- golden files: the program's bytes equal the committed ones -------------
G=$FIX/golden
check "ics hungary-2021 (UTC) = golden" cmp "$TMP/hungary-2021.utc.ics" "$G/hungary-2021.utc.ics"
check "ics turkmenistan-2020 (TZID) = golden" cmp "$TMP/turkmenistan-2020.tzid.ics" "$G/turkmenistan-2020.tzid.ics"
"$BIN" --kit "$FIX/hungary-2021" --now 2021-03-01T00:00:00Z csv --platform facebook >"$TMP/hu-fb.csv" 2>"$TMP/csv.err"
check "csv buffer hungary facebook = golden" cmp "$TMP/hu-fb.csv" "$G/hungary-2021.buffer-facebook.csv"
"$BIN" --kit "$FIX/turkmenistan-2020" --now 2020-12-01T00:00:00Z csv --format hootsuite \
	--out-dir "$TMP/tm" >"$TMP/tm.list" 2>"$TMP/csv.err"
check "csv hootsuite --out-dir: one file per platform = golden, and the media side file" \
	bash -c "cmp '$TMP/tm/hootsuite-facebook.csv' '$G/turkmenistan-2020.hootsuite-facebook.csv' &&
		cmp '$TMP/tm/hootsuite-instagram.csv' '$G/turkmenistan-2020.hootsuite-instagram.csv' &&
		head -1 '$TMP/tm/media.csv' | grep -q '^Post,Platform,Posting Time,File,Alt text,Media URL' &&
		[ \$(wc -l <'$TMP/tm.list') = 3 ]"

# ---- CSV round trip: commas, quotes, newlines, Cyrillic, Hungarian accents ----
cat >"$TMP/check_csv.py" <<'EOF'
import csv, io, json, sys
path, manifest, fmt, platform = sys.argv[1:5]
m = json.load(open(manifest, encoding="utf-8"))
posts = [p for p in sorted(m["posts"], key=lambda p: (p["at"], p["platform"], p["id"]))
         if p["platform"] == platform]
with open(path, newline="", encoding="utf-8") as f:
    raw = f.read()
assert raw.endswith("\r\n")
rows = list(csv.reader(io.StringIO(raw, newline="")))
if fmt == "buffer":
    assert rows[0] == ["Text", "Image URL", "Tags", "Posting Time"], rows[0]
    rows = rows[1:]
assert len(rows) == len(posts), (len(rows), len(posts))
special = 0
for row, p in zip(rows, posts):
    assert len(row) == (4 if fmt == "buffer" else 3), row
    text = row[0] if fmt == "buffer" else row[1]
    want = p["text"]
    if fmt == "buffer" and p["link"] and p["link"] not in want:
        want += " " + p["link"]
    assert text == want, (text, want)
    if fmt == "hootsuite":
        assert row[2] == (p["link"] or "")
    for s in (",", '"', "\n", "\u0416", "\u0436", "\u0151", "\u0171", "\u00e1", "\u00ab"):
        if s in text:
            special += 1
print("rows", len(rows), "special", special)
assert special > 0
EOF
check "csv buffer round trip: Hungarian accents, quotes, commas, newlines" \
	$PY "$TMP/check_csv.py" "$TMP/hu-fb.csv" "$FIX/hungary-2021/manifest.json" buffer facebook
check "csv hootsuite round trip: Cyrillic, quotes, commas, newlines" \
	$PY "$TMP/check_csv.py" "$TMP/tm/hootsuite-facebook.csv" "$FIX/turkmenistan-2020/manifest.json" hootsuite facebook
"$BIN" --kit "$FIX/hungary-2021" --now 2021-03-01T00:00:00Z csv --format hootsuite \
	--date-format 'yyyy-mm-dd hh:mm' --platform x >"$TMP/hu-x.csv" 2>"$TMP/csv.err"
check "csv hootsuite --date-format yyyy-mm-dd: round trip and date column" \
	bash -c "$PY '$TMP/check_csv.py' '$TMP/hu-x.csv' '$FIX/hungary-2021/manifest.json' hootsuite x &&
		head -1 '$TMP/hu-x.csv' | grep -q '^2021-03-28 03:30,'"

# posts a tool cannot take: reported, exit 1, nothing written; --skip-invalid exports the rest
"$BIN" --kit "$FIX/hungary-2021" --now 2021-10-31T00:25:00Z csv --format hootsuite --platform x \
	>"$TMP/skip.out" 2>"$TMP/skip.err"
rc=$?
if [ $rc = 1 ] && [ ! -s "$TMP/skip.out" ] && grep -q 'left out post hu-x-spring-gap.*past' "$TMP/skip.err" &&
	grep -q 'left out post hu-x-autumn-repeat.*10 minutes' "$TMP/skip.err"; then
	ok "csv: past and too-soon posts reported, exit 1, nothing written"
else
	echo "exit $rc" >>"$TMP/skip.err"; not_ok "csv refusals" "$TMP/skip.err"
fi
"$BIN" --kit "$FIX/hungary-2021" --now 2021-10-31T00:25:00Z csv --format hootsuite --platform x \
	--skip-invalid >"$TMP/skip.out" 2>"$TMP/skip.err"
rc=$?
if [ $rc = 0 ] && [ "$(grep -c '' "$TMP/skip.out")" = 1 ] && [ "$(grep -c 'left out' "$TMP/skip.err")" = 2 ]; then
	ok "csv --skip-invalid: the rest exported, exit 0, left-out posts still reported"
else
	echo "exit $rc" >>"$TMP/skip.err"; not_ok "csv --skip-invalid" "$TMP/skip.err"
fi

# ---- table and --next ---------------------------------------------------------
"$BIN" --kit "$FIX/together-2016" table --next --now 2016-12-15T08:00:00Z --tz Europe/Budapest \
	>"$TMP/next.out" 2>&1
if grep -q '^  09:00 CET    X          en  together-x-video$' "$TMP/next.out" &&
	grep -q '^Next: 2016-12-15T09:00:00+01:00 CET, now$' "$TMP/next.out" &&
	! grep -q 'together-x-launch\|together-fb-message' "$TMP/next.out"; then
	ok "table --next --now 2016-12-15T08:00:00Z --tz Europe/Budapest shows together-x-video at 09:00 CET"
else
	not_ok "table --next" "$TMP/next.out"
fi
"$BIN" --kit "$FIX/together-2016" table --next --now 2016-12-15T08:00:01Z --tz Europe/Budapest >"$TMP/next.out" 2>&1
if grep -q 'together-fb-message' "$TMP/next.out" && grep -q 'in 59 min' "$TMP/next.out"; then
	ok "table --next one second later: the Facebook post in 59 min"
else
	not_ok "table --next later" "$TMP/next.out"
fi
"$BIN" --kit "$FIX/hungary-2021" --day 2021-10-31 table >"$TMP/table.out" 2>&1
if grep -q '^Sunday 31 October 2021$' "$TMP/table.out" && grep -q '02:30 CEST' "$TMP/table.out" &&
	grep -q '02:30 CET ' "$TMP/table.out" && grep -q 'Téli időszámítás' "$TMP/table.out" &&
	grep -q '^3 posts.$' "$TMP/table.out"; then
	ok "table --day on the autumn DST day: both 02:30s, accents intact"
else
	not_ok "table --day" "$TMP/table.out"
fi
"$BIN" --kit "$FIX/turkmenistan-2020" --json >"$TMP/json.out" 2>&1
check "--json: the resolved posts, at and local agree" $PY - "$TMP/json.out" "$FIX/turkmenistan-2020/manifest.json" <<'EOF'
import datetime, json, sys
got = json.load(open(sys.argv[1], encoding="utf-8"))
m = json.load(open(sys.argv[2], encoding="utf-8"))
assert sorted(p["id"] for p in got) == sorted(p["id"] for p in m["posts"])
for p in got:
    want = next(q for q in m["posts"] if q["id"] == p["id"])
    assert p["at"] == want["at"] and p["text"] == want["text"]
    local = datetime.datetime.fromisoformat(p["local"])
    assert local.utcoffset() == datetime.timedelta(hours=5)
    assert local == datetime.datetime.fromisoformat(p["at"].replace("Z", "+00:00"))
EOF

# a hostile text cannot drive the terminal: control characters are refused
mkdir -p "$TMP/evil"
sed 's/Tomorrow is International/Tomorrow \\u001b]0;pwned\\u0007 is International/' \
	"$FIX/turkmenistan-2020/manifest.json" >"$TMP/evil/manifest.json"
expect_exit 1 "manifest text with terminal escapes refused" --kit "$TMP/evil" table
if ! grep -q $'\e' "$TMP/x.err"; then ok "error message carries no escape character"; else not_ok "escape in message"; fi

# ---- exit codes -----------------------------------------------------------------
expect_exit 2 "no --kit" table
expect_exit 2 "unknown option" --kit "$FIX/together-2016" --colour table
expect_exit 2 "unknown command" --kit "$FIX/together-2016" agenda
expect_exit 2 "unknown --tz" --kit "$FIX/together-2016" --tz Mars/Olympus table
expect_exit 2 "csv with several platforms and no --platform" --kit "$FIX/hungary-2021" csv
expect_exit 5 "kit directory missing" --kit "$TMP/nope" table
printf '{"campaign": "x",\n  "office": }\n' >"$TMP/evil/manifest.json"
expect_exit 1 "malformed manifest" --kit "$TMP/evil" ics
if grep -q 'manifest.json:2:' "$TMP/x.err"; then ok "malformed manifest: message has file:line"; else not_ok "file:line" "$TMP/x.err"; fi

if "$BIN" --help | grep -q '^usage: kit-schedule' && "$BIN" --version | grep -q '^kit-schedule '; then
	ok "--help and --version"
else
	not_ok "--help and --version"
fi

if [ "$failed" = 0 ]; then
	rm -rf "$TMP"
else
	echo "# $failed failed; work directory kept: $TMP"
fi
[ "$failed" = 0 ]
