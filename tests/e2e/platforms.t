#!/usr/bin/env bash
# One platform table (pkg/manifest): a post counts the same in validation
# (kit-publish validate), in the kit page and in kit-schedule's exports.
# Two posts the two counts used to disagree on: a Mastodon post of 420
# letters and a 150-byte link (444 as Mastodon counts it: the link weighs
# 23; the export counted 571 and refused it), and an X post of 150 letters
# each with a combining accent (150; the export counted 300 code points).
# One letter more than the limit is refused by both, with the same count.
. "$(dirname "$0")/lib.sh"

NOW="--now 2021-12-01T00:00:00Z"
C="$T/c"
mkdir -p "$C/statements" "$C/media"
printf '# S\n\nText.\n' >"$C/statements/s.md"
printf 'About us.\n' >"$C/about.md"
/usr/bin/python3 - "$C/campaign.json" <<'PY'
import json, sys
url = "https://example.org/" + "p" * (150 - len("https://example.org/"))
assert len(url) == 150
accented = "e\u0301" * 150  # 150 letters, 300 code points
def camp(mastodon_letters, x_letters):
    return {
        "id": "counts", "title": "Counts",
        "window": {"start": "2021-12-10T00:00:00+01:00", "end": "2021-12-20T00:00:00+01:00"},
        "timezone": "Europe/Brussels", "languages": ["en"], "hashtags": ["#C"],
        "source_date": "2021-12-01T00:00:00Z", "about": "about.md",
        "statements": [{"file": "statements/s.md", "title": "S", "speaker": "P",
                        "date": "2021-12-10", "language": "en"}],
        "posts": [
            {"id": "m-420", "platform": "mastodon", "time": "2021-12-15T10:00:00",
             "text": "a" * (mastodon_letters - 3) + " #C", "link": url, "language": "en"},
            {"id": "x-150", "platform": "x", "time": "2021-12-15T11:00:00",
             "text": x_letters, "language": "en"},
        ],
    }
json.dump(camp(420, accented[:-6] + " #C"), open(sys.argv[1], "w"), ensure_ascii=False)
# the same one letter over each limit: 477 + 1 + 23 = 501, and 281
json.dump(camp(477, "e\u0301" * 278 + " #C"), open(sys.argv[1] + ".over", "w"), ensure_ascii=False)
PY

check "the Mastodon post (420 letters, a 150-byte link) and the X post (150 accented letters) validate" \
	kit-publish validate "$C"
check "and build" kit-publish build "$C" --out "$T/built" --quiet
mkdir -p "$T/kit" && tar --zstd -xf "$T/built/counts/global.tar.zst" -C "$T/kit"
grep -q '444 of 500 characters as Mastodon counts them' "$T/kit/index.html" &&
	ok "the page counts the Mastodon post 444 of 500" || not_ok "the page counts the Mastodon post 444 of 500"
grep -q '150 of 280 characters as X counts them' "$T/kit/index.html" &&
	ok "the page counts the X post 150 of 280" || not_ok "the page counts the X post 150 of 280"
for p in mastodon x; do
	kit-schedule --kit "$T/kit" $NOW csv --format buffer --platform $p >"$T/$p.csv" 2>"$T/$p.err"
	rc=$?
	[ "$rc" = 0 ] && [ "$(wc -l <"$T/$p.csv")" = 2 ] && ! [ -s "$T/$p.err" ] &&
		ok "kit-schedule exports the $p post as validation counted it" ||
		not_ok "kit-schedule exports the $p post as validation counted it" "exit $rc" "$(cat "$T/$p.err")"
done
for p in mastodon x; do
	[ "$(wc -l <"$T/kit/schedule/buffer-$p.csv")" = 2 ] &&
		ok "the kit's own Buffer file for $p (made at build time) holds the post" ||
		not_ok "the kit's own Buffer file for $p (made at build time) holds the post"
done

# One letter over: validation and export both refuse it, with one count.
mv "$C/campaign.json.over" "$C/campaign.json"
expect_exit 1 "one letter over each limit does not validate" kit-publish validate "$C"
# (the diagnostics are the command's output, on stdout)
grep -Eq "text is 501 characters as mastodon counts them \(with the link\), over its limit of 500" "$T/out" &&
	ok "Mastodon: 501 characters" || not_ok "Mastodon: 501 characters" "$(cat "$T/out")"
grep -Eq "text is 281 characters as x counts them, over its limit of 280" "$T/out" &&
	ok "X: 281 characters" || not_ok "X: 281 characters" "$(cat "$T/out")"
/usr/bin/python3 - "$T/kit/manifest.json" "$T/over/manifest.json" <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
for p in m["posts"]:
    if p["platform"] == "mastodon":
        p["text"] = "a" * 474 + " #C"
    else:
        p["text"] = "e\u0301" * 278 + " #C"
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
json.dump(m, open(sys.argv[2], "w"), ensure_ascii=False, indent=2)
PY
expect_exit 1 "kit-schedule refuses the Mastodon post one letter over" kit-schedule --kit "$T/over" $NOW csv --format buffer --platform mastodon
expect_msg "with the validator's count" "its text is 501 characters, over Mastodon's limit of 500"
expect_exit 1 "kit-schedule refuses the X post one letter over" kit-schedule --kit "$T/over" $NOW csv --format buffer --platform x
expect_msg "with the validator's count" "its text is 281 characters, over X's limit of 280"
