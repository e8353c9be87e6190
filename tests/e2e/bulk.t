#!/usr/bin/env bash
# kit-schedule's bulk files with media: Buffer's "Image URL" and Publer's
# "Media URL(s)"/"Alt text(s)" from --media-base-url, Publer's twelve
# columns, Sprout Social's three and its 350-row files, and the media side
# file naming the file and alt text of every post with media.  Every CSV is
# read back with Python's csv module and compared with the manifest.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
FIX=$KIT_SRC/tests/fixtures/schedule
HU=$FIX/hungary-2021
NOW=--now=2021-01-01T00:00:00Z
BASE=https://media.example.org/kits/migrants-day-2021/hungary/

cat >"$T/read.py" <<'PYEOF'
import csv, json, sys
path, manifest, fmt, platform, base = sys.argv[1:6]
m = json.load(open(manifest, encoding="utf-8"))
posts = {p["id"]: p for p in m["posts"]}
rows = list(csv.reader(open(path, encoding="utf-8", newline="")))
head, body = rows[0], rows[1:]
want = [p for p in m["posts"] if platform in ("", p["platform"])]
def url(path): return base.rstrip("/") + "/" + path if base else ""
if fmt == "buffer":
    assert head == ["Text", "Image URL", "Tags", "Posting Time"], head
    assert len(body) == len(want), (len(body), len(want))
    for r, p in zip(body, sorted(want, key=lambda p: p["at"])):
        assert r[0].startswith(p["text"]), r
        imgs = [x["path"] for x in p["media"] if x["path"].endswith((".png", ".jpg", ".jpeg", ".gif", ".webp"))]
        assert r[1] == (url(imgs[0]) if imgs and base else ""), (r[1], imgs)
elif fmt == "publer":
    assert head == ["Date", "Text", "Link(s)", "Media URL(s)", "Title", "Label(s)", "Alt text(s)",
                    "Comment(s)", "Board/Album", "Post subtype", "CTA", "Reminder"], head
    assert len(body) == len(want)
    for r, p in zip(body, sorted(want, key=lambda p: p["at"])):
        assert len(r) == 12 and r[1] == p["text"], r
        assert r[3] == ",".join(url(x["path"]) for x in p["media"]) if base else r[3] == "", r
        assert r[6] == "||".join(x["alt"] for x in p["media"]) if base else r[6] == "", r
elif fmt == "sprout":
    assert head == ["date", "time_24hr", "message_text"], head
    for r in body:
        assert len(r) == 3 and len(r[0]) == 10 and len(r[1]) == 5 and r[1][2] == ":", r
elif fmt == "media":
    assert head == ["Post", "Platform", "Posting Time", "File", "Alt text", "Media URL"], head
    expect = [(p["id"], x["path"], x["alt"]) for p in sorted(m["posts"], key=lambda p: (p["at"], p["platform"], p["id"]))
              for x in p["media"]]
    got = [(r[0], r[3], r[4]) for r in body]
    assert got == expect and expect, (got, expect)
    for r in body:
        assert r[5] == url(r[3]), r
print(len(body))
PYEOF
readback() { "$PY" "$T/read.py" "$@" >"$T/rows" 2>"$T/py.err"; }

# ---- Buffer: Image URL from --media-base-url -----------------------------------
kit-schedule --kit "$HU" $NOW csv --platform facebook --media-base-url "$BASE" >"$T/buf.csv"
check "buffer --media-base-url: the post's image URL in \"Image URL\"" readback "$T/buf.csv" "$HU/manifest.json" buffer facebook "$BASE"
grep -q "${BASE}media/hu-migrants-day.jpg" "$T/buf.csv" && ok "buffer: the URL is base + the medium's path" ||
	not_ok "buffer: the URL is base + the medium's path" "$(cat "$T/buf.csv")"
kit-schedule --kit "$HU" $NOW csv --platform facebook >"$T/buf0.csv"
check "buffer without a base URL: \"Image URL\" empty" readback "$T/buf0.csv" "$HU/manifest.json" buffer facebook ""

# ---- Publer: twelve columns, media URLs and alt texts --------------------------
kit-schedule --kit "$HU" $NOW csv --format publer --platform facebook --media-base-url "$BASE" >"$T/publer.csv"
check "publer: twelve columns, Media URL(s) and Alt text(s)" readback "$T/publer.csv" "$HU/manifest.json" publer facebook "$BASE"

# ---- the side file: every post with media, file and alt text -------------------
kit-schedule --kit "$HU" $NOW csv --format media >"$T/media.csv"
check "media side file: file and alt text of every post with media, every platform" readback "$T/media.csv" "$HU/manifest.json" media "" ""
kit-schedule --kit "$HU" $NOW csv --format media --media-base-url "$BASE" >"$T/media-u.csv"
check "media side file with --media-base-url: the public URL of each" readback "$T/media-u.csv" "$HU/manifest.json" media "" "$BASE"
rm -rf "$T/od"
kit-schedule --kit "$HU" $NOW csv --format hootsuite --out-dir "$T/od" --skip-invalid >"$T/od.list" 2>/dev/null
check "--out-dir writes media.csv beside the hootsuite files" readback "$T/od/media.csv" "$HU/manifest.json" media "" ""

# ---- refused base URLs ----------------------------------------------------------
expect_exit 2 "--media-base-url over http is refused (usage)" kit-schedule --kit "$HU" $NOW csv --platform x --media-base-url http://media.example.org/
expect_msg "the message says what to give" "media-base-url http://media.example.org/: not a plain https URL"
expect_exit 2 "--media-base-url with a quote is refused" kit-schedule --kit "$HU" $NOW csv --platform x --media-base-url 'https://a.example/"x'

# ---- Sprout Social: three columns, at most 350 rows a file ----------------------
mkdir -p "$T/big"
"$PY" - "$HU/manifest.json" "$T/big/manifest.json" <<'PYEOF'
import copy, datetime, json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
base = datetime.datetime(2021, 12, 1, 8, 0, tzinfo=datetime.timezone.utc)
p0 = next(p for p in m["posts"] if p["platform"] == "x")
posts = []
for i in range(400):
    p = copy.deepcopy(p0)
    p["id"] = "big-%03d" % i
    p["at"] = (base + datetime.timedelta(minutes=15 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    p["text"] = "Post number %d, with a comma" % i
    posts.append(p)
m["posts"] = posts
json.dump(m, open(sys.argv[2], "w", encoding="utf-8"))
PYEOF
expect_exit 2 "sprout: 400 posts to one file refused, pointing at --out-dir" kit-schedule --kit "$T/big" $NOW csv --format sprout
expect_msg "the message names the limit" "at most 350 per file"
kit-schedule --kit "$T/big" $NOW csv --format sprout --out-dir "$T/sp" >"$T/sp.list"
check "sprout --out-dir: two files" test "$(wc -l <"$T/sp.list")" = 3
check "sprout part 1: 350 rows, date,time_24hr,message_text" bash -c "readback() { \"$PY\" \"$T/read.py\" \"\$@\"; }; [ \"\$(readback '$T/sp/sprout-x-1.csv' '$T/big/manifest.json' sprout x '')\" = 350 ]"
check "sprout part 2: the other 50" bash -c "[ \"\$('$PY' '$T/read.py' '$T/sp/sprout-x-2.csv' '$T/big/manifest.json' sprout x '')\" = 50 ]"
kit-schedule --kit "$T/big" $NOW csv --format sprout --date-format dd/mm/yyyy --out-dir "$T/sp2" >/dev/null
check "sprout --date-format dd/mm/yyyy: the first date is 01/12/2021 08:00 UTC in Budapest" \
	grep -q '^01/12/2021,09:00,' "$T/sp2/sprout-x-1.csv"
mkdir -p "$T/close"
"$PY" -c '
import json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
m["posts"] = m["posts"][:3]
m["posts"][1]["at"] = "2021-12-01T08:05:00Z"
json.dump(m, open(sys.argv[2], "w", encoding="utf-8"))' "$T/big/manifest.json" "$T/close/manifest.json"
expect_exit 1 "sprout: a post 5 minutes after another is refused" kit-schedule --kit "$T/close" $NOW csv --format sprout
expect_msg "the message says why" "post big-001 .*less than 10 minutes after post big-000; Sprout Social takes messages at least 10 minutes apart"
