#!/usr/bin/env bash
# The kit page (each kit's index.html) in a real browser: Debian's chromium,
# headless, driven by playwright-core and checked by axe-core (npm, from the
# committed lockfile in tests/e2e/page/).  For every seed kit and a test kit
# with video, audio, Arabic and Persian posts and 60 posts in all, at 390 and
# 1280 px: no horizontal overflow, every post's full text visible, every
# image loaded, players ready, no console error, no request beyond file://,
# no serious or critical axe violation (and no overflow at 320 and 1440 px), copy buttons that put exactly the
# text on the clipboard (also without the Clipboard API), filters, the
# validator's counts of a table of tricky posts; and kit-schedule's page
# marking what is new or changed since an earlier version.  Screenshots of
# every kit at both widths go to $KIT_BUILD/page-screenshots/.
. "$(dirname "$0")/lib.sh"

NODE=${NODE:-node}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
JS_SRC="$KIT_SRC/tests/e2e/page"
JS="${KIT_BUILD:-$T}/pagejs"
SHOTS="${KIT_BUILD:-$T}/page-screenshots"
PY=/usr/bin/python3
export CHROMIUM

if ! command -v "$NODE" >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1 || [ ! -x "$CHROMIUM" ]; then
	not_ok "node, npm and chromium are installed" "the page test needs node (>= 18), npm and Debian's chromium ($CHROMIUM); make check installs them"
	exit 1
fi
# the same npm helper as the TUF interop test: npm ci from the lockfile
# (engine-strict, as its .npmrc says), reused while it is unchanged
if install_tufjs; then
	ok "npm ci installed playwright-core and axe-core from the committed lockfile"
else
	not_ok "npm ci installed playwright-core and axe-core from the committed lockfile" \
		"npm ci in $JS failed; this test needs the npm registry" "$(tail -4 "$T/npm.log")"
	rm -rf "$JS"
	exit 1
fi
outside=$(tufjs_engines_outside "$DEBIAN12_NODE" 2>&1) && [ -z "$outside" ] &&
	ok "every package in the lockfile declares it runs on Debian 12's Node.js $DEBIAN12_NODE" ||
	not_ok "every package in the lockfile declares it runs on Debian 12's Node.js $DEBIAN12_NODE" "$outside"
cp "$JS_SRC"/*.mjs "$JS/"
js() { timeout 600 "$NODE" "$JS/$1" "${@:2}"; }

# unpack KIT.tar.zst into DIR
unpack() { mkdir -p "$2" && tar --zstd -xf "$1" -C "$2"; }

# ---- the kits: every seed kit, and the test kit (and an earlier version) --------
KITS=()
for c in "$KIT_SRC"/campaigns/*/; do
	id=$(basename "$c")
	kit-publish build "$c" --out "$T/built" --quiet || not_ok "kit-publish build $id"
	for a in "$T/built/$id"/*.tar.zst; do
		o=$(basename "$a" .tar.zst)
		unpack "$a" "$T/kits/$id-$o" && KITS+=("$T/kits/$id-$o")
	done
done
check "the seed kits are built and unpacked (${#KITS[@]})" test "${#KITS[@]}" -ge 9

check "chromium records the test kit's video (a WebM)" js make_video.mjs "$T/clip.webm"
"$PY" "$JS_SRC/make_campaign.py" "$T/page-test" "$T/clip.webm" &&
	"$PY" "$JS_SRC/make_campaign.py" "$T/page-test-v1" "$T/clip.webm" previous
check "the test campaign validates" kit-publish validate "$T/page-test"
kit-publish build "$T/page-test" --out "$T/built" --quiet &&
	kit-publish build "$T/page-test-v1" --out "$T/built-v1" --quiet
for o in global cairo; do
	unpack "$T/built/page-test/$o.tar.zst" "$T/kits/page-test-$o" && KITS+=("$T/kits/page-test-$o")
	unpack "$T/built-v1/page-test/$o.tar.zst" "$T/v1/page-test-$o"
done
check "the test kit has 60 posts, a video, an audio file and Arabic posts" "$PY" -c '
import json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
types = {f["type"] for f in m["files"]}
assert len(m["posts"]) == 60 and "video/webm" in types and "audio/wav" in types, types
assert any(p["language"] == "ar" for p in m["posts"]) and any(p["language"] == "fa" for p in m["posts"])' \
	"$T/kits/page-test-cairo/manifest.json"

# ---- kit-schedule page: what is new or changed since an earlier version --------
check "kit-schedule page --previous writes the marked page" \
	kit-schedule --kit "$T/kits/page-test-cairo" page --previous "$T/v1/page-test-cairo/manifest.json" --out "$T/marked.html"
expect_exit 2 "kit-schedule page without --previous is refused (usage)" kit-schedule --kit "$T/kits/page-test-cairo" page
expect_exit 1 "kit-schedule page --previous of another office is refused" \
	kit-schedule --kit "$T/kits/page-test-cairo" page --previous "$T/v1/page-test-global/manifest.json"
expect_msg "the message names both kits" "is the kit of page-test/global, not page-test/cairo"

# ---- in the browser ----------------------------------------------------------------
# the validator's counts of the tricky posts (tests/unit/campaign_test.c holds
# the same table against the validator's function itself)
COUNTS='{"tricky-x-url":49,"tricky-x-emoji":44,"tricky-x-cjk":20,"tricky-x-combining":21,
"tricky-mastodon-url":61,"tricky-bluesky-emoji":13,"tricky-instagram-cp":15}'
rm -rf "$SHOTS"
browse() {
	js check.mjs "$SHOTS" "$@" >"$T/browser.out" 2>"$T/browser.err"
	while IFS= read -r line; do
		case $line in
		PASS\ *) ok "${line#PASS }" ;;
		FAIL\ *) not_ok "${line#FAIL }" ;;
		esac
	done <"$T/browser.out"
	if ! grep -q '^PASS' "$T/browser.out"; then
		not_ok "chromium ran the page checks" "$(tail -5 "$T/browser.err")"
	fi
}
COUNTS=$COUNTS browse "${KITS[@]}"
MARKS='{"since":1,"posts":{"p58":"new","p59":"new","p10":"changed"}}' \
	browse "$T/marked.html=$T/kits/page-test-cairo/manifest.json"
n=$(ls "$SHOTS"/*-390.png "$SHOTS"/*-1280.png 2>/dev/null | wc -l)
check "screenshots of every kit at 390 and 1280 px in $SHOTS ($n)" test "$n" -eq $(((${#KITS[@]} + 1) * 2))
