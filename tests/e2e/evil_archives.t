#!/usr/bin/env bash
# Hostile archives with valid signatures: the extractor is the last line of
# defence once TUF has vouched for the bytes.  An office installs the real
# Belgium kit of TOGETHER (version 1) from a signed repository; then, for
# each archive of a corpus made by tests/e2e/evil/make_evil.py (each starts
# from that kit's manifest.json and files and changes one property), a
# later version of the same repository (same root keys, written by
# tests/e2e/evil/sign_repo.mjs with @tufjs/models) offers it as version 2
# with custom data matching its manifest.  kit-fetch update must refuse each
# with exit 3 and a message naming the problem, log the refusal, and leave
# the installed kit, its releases and the state directory as they were.
# A control archive built the same way (well formed) must install.
# Sockets: tar has no socket type, and libarchive's tar reader takes a
# member's type from its typeflag only (not from the mode field's type
# bits nor from star's SCHILY.filetype record), so a "socket" member reaches
# kit-fetch as a regular file; the socket case checks that such a member is
# refused when it is not in the manifest and that no socket is ever made.
# The total-size limit (4 GiB) is not reachable here: kit-fetch offers no
# setting for it and the ratio limit (200) stops any small archive first.
# The node packages come from tests/e2e/tufjs/package-lock.json (npm ci into
# $KIT_BUILD/tufjs-evil, reused while the lock is the same).
. "$(dirname "$0")/lib.sh"

NODE=${NODE:-node}
JS_SRC="$KIT_SRC/tests/e2e/tufjs"
JS="${KIT_BUILD:-$T}/tufjs-evil"
EVIL="$KIT_SRC/tests/e2e/evil"
C="$KIT_SRC/campaigns/together-2016"
TARGET=together-2016/belgium.tar.zst

# case | what it is | what the message must say (ERE)
CASES=$(cat <<'EOF'
dotdot|a member named ../escaped-dotdot.txt|contains '\.\.'.*path traversal
dotdot_inner|a member named media/../../escaped-inner.txt|contains '\.\.'.*path traversal
absolute|a member with an absolute path|is an absolute path
symlink|about.md (listed in the manifest) as a symlink to /etc/passwd|about\.md is a symlink
symlink_dir|media as a symlink to ../../..|media is a symlink
hardlink|index.html as a hard link to about.md|index\.html is a hard link
hardlink_out|index.html as a hard link to /etc/passwd|index\.html is a hard link
chardev|a character device media/null|media/null is a device
blockdev|a block device media/sda|media/sda is a device
fifo|a FIFO media/pipe|media/pipe is a FIFO
socket|a socket media/kit.sock (pax SCHILY.filetype and mode 0140644)|media/kit\.sock (is a socket|is not in manifest\.json)
setuid|about.md with mode 4755|about\.md has setuid, setgid or sticky bits \(mode 4755\)
setgid|a statement with mode 2755|statements/[^ ]* has setuid, setgid or sticky bits \(mode 2755\)
sticky|the media/ directory with mode 1777|media/? has setuid, setgid or sticky bits \(mode 1777\)
setuid_manifest|manifest.json with mode 4644|manifest\.json has setuid, setgid or sticky bits
duplicate|about.md twice (same bytes)|duplicate entry about\.md
duplicate_dir|the media/ directory twice|duplicate entry media
duplicate_manifest|a second manifest.json listing no files|duplicate entry manifest\.json
not_in_manifest|a file media/tracker.js not in the manifest|media/tracker\.js is not in manifest\.json
dir_not_in_manifest|a directory hidden/ holding no manifest file|directory hidden holds no file of the manifest
missing|a statement of the manifest left out|statements/[^ ]* is in manifest\.json but not in the archive
size_larger|about.md one byte longer than the manifest says|about\.md is [0-9]+ bytes but manifest\.json says [0-9]+
size_smaller|index.html ten bytes shorter than the manifest says|index\.html is [0-9]+ bytes but manifest\.json says [0-9]+
hash_mismatch|a media file with one bit changed (same size)|has SHA-256 [0-9a-f]{64} but manifest\.json says [0-9a-f]{64}
bomb_data|64 MiB of zeros, listed with its true size and hash, in a 10 kB archive|expands more than 200 times .*decompression bomb
bomb_headers|every member behind a 512 KiB pax record (tar stream, no file data)|expands more than 200 times .*decompression bomb
utf8_invalid|a member name with bytes ff fe|is not valid UTF-8
utf8_overlong|a member name with the overlong '/' c0 af|is not valid UTF-8
case_file|ABOUT.md beside about.md, both listed|ABOUT\.md collides with about\.md when case is ignored
case_dir|MEDIA/ beside media/, both listed|MEDIA[^ ]* collides with media[^ ]* when case is ignored
case_cyrillic|statements/Дом.md beside statements/дом.md, both listed|collides with .* when case is ignored
manifest_not_first|about.md before manifest.json|the first entry is about\.md, not the regular file manifest\.json
manifest_absent|no manifest.json at all|the first entry is about\.md, not the regular file manifest\.json
EOF
)

# --- @tufjs/models, as tests/e2e/tuf_interop.t installs it -------------------
if ! command -v "$NODE" >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	not_ok "node and npm are installed" "this test signs its repositories with @tufjs/models (node >= 18.17, as in Debian 12, and npm)"
	exit 1
fi
if install_tufjs; then
	ok "npm ci installed @tufjs/models from the committed lockfile"
else
	not_ok "npm ci installed @tufjs/models from the committed lockfile" \
		"npm ci in $JS failed (npm config get registry: $(npm config get registry 2>/dev/null))" \
		"$(tail -4 "$T/npm.log")"
	rm -rf "$JS"
	exit 1
fi
cp "$EVIL/sign_repo.mjs" "$JS/"

# step DESC CMD...: like check, and returns the command's status
step() {
	local desc=$1 rc
	shift
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$desc"
	else
		not_ok "$desc" "exit $rc: $*" "$(tail -5 "$T/err")"
	fi
	return "$rc"
}

# --- the real kit and the corpus ----------------------------------------------
step "kit-publish build the TOGETHER kit (version 1)" kit-publish build "$C" --out "$T/build" --quiet || exit 1
BASE="$T/build/$TARGET"
ABS="$T/abs-escape.txt"
if ! python3 "$EVIL/make_evil.py" "$BASE" "$T/evil" "$ABS" >"$T/cases" 2>"$T/err"; then
	not_ok "make_evil.py writes the corpus from the Belgium kit" "$(tail -3 "$T/err")"
	exit 1
fi
ok "make_evil.py writes $(wc -l <"$T/cases") archives from the Belgium kit"
# every case of the table is in the corpus, and the other way round
if [ "$( (echo control; echo "$CASES" | cut -d'|' -f1) | sort)" = "$(sort "$T/cases")" ]; then
	ok "the corpus and this test's table name the same cases"
else
	not_ok "the corpus and this test's table name the same cases" \
		"$(diff <( (echo control; echo "$CASES" | cut -d'|' -f1) | sort) <(sort "$T/cases") | tr '\n' ' ')"
fi

# --- one signed repository per case, all under the same root ------------------
# base: the real kit as version 1 (metadata version 1); each case: its archive
# as version 2 (metadata version 2), custom data from its own manifest.
if ! python3 - "$T" "$BASE" "$TARGET" "$T/spec.json" "$T/cases" <<'PY' 2>"$T/err"; then
import json, subprocess, sys
t, base, target, out, cases = sys.argv[1:]
m = json.loads(subprocess.run(["tar", "--zstd", "-xOf", base, "manifest.json"],
                              check=True, stdout=subprocess.PIPE).stdout)
spec = [{"out": t + "/repos/base", "version": 1, "targets": [{"path": target, "file": base,
         "custom": {k: m[k] for k in ("campaign", "office", "version", "window", "content")}}]}]
for name in open(cases).read().split():
    custom = json.load(open("%s/evil/%s.custom.json" % (t, name), encoding="utf-8"))
    spec.append({"out": "%s/repos/%s" % (t, name), "version": 2, "targets": [
        {"path": target, "file": "%s/evil/%s.tar.zst" % (t, name), "custom": custom}]})
json.dump(spec, open(out, "w"), ensure_ascii=False)
PY
	not_ok "the signing spec is written" "$(tail -3 "$T/err")"
	exit 1
fi
step "sign_repo.mjs signs the base repository and one repository per case (same keys)" \
	timeout 120 "$NODE" "$JS/sign_repo.mjs" --keys "$T/keys.json" --spec "$T/spec.json" || exit 1
if [ "$(sha256sum "$T"/repos/*/metadata/1.root.json | cut -d' ' -f1 | sort -u | wc -l)" -eq 1 ]; then
	ok "every repository has the same 1.root.json"
else
	not_ok "every repository has the same 1.root.json"
fi

# --- the office: version 1 of the real kit ------------------------------------
# $T/repo is a symlink moved from one repository to the next.
ln -s "$T/repos/base" "$T/repo"
step "kit-fetch init (Belgium office) with the pinned 1.root.json" \
	kit-fetch init --state "$T/office" --root "$T/repos/base/metadata/1.root.json" \
	--url "file://$T/repo" --office belgium || exit 1
step "kit-fetch update installs version 1 of the real kit" kit-fetch update --state "$T/office" --quiet || exit 1
K=kits/together-2016
if [ "$(readlink "$T/office/$K/current")" = releases/1 ] &&
	[ "$(tree_hash "$T/office/$K/current/")" = "$(mkdir -p "$T/v1" && tar --zstd -xf "$BASE" -C "$T/v1" && tree_hash "$T/v1")" ]; then
	ok "current is releases/1, the files of the real kit"
else
	not_ok "current is releases/1, the files of the real kit" "$(readlink "$T/office/$K/current")"
	exit 1
fi

# snapshot STATE: what must not change (the kit through current, where
# current points, the releases kept)
snapshot() {
	echo "$(readlink "$1/$K/current") $(tree_hash "$1/$K/current/") $(ls "$1/$K/releases" | tr '\n' ' ')"
}
BEFORE=$(snapshot "$T/office")

# use_repo CASE: a fresh copy of the office, its repository moved to CASE
use_repo() {
	rm -rf "$T/o/$1" && mkdir -p "$T/o" && cp -a "$T/office" "$T/o/$1" &&
		ln -sfn "$T/repos/$1" "$T/repo"
}

# --- control: a well-formed version 2 made and signed the same way ------------
use_repo control
S="$T/o/control"
if step "control: kit-fetch update installs the well-formed version 2 from the same harness" \
	kit-fetch update --state "$S" --quiet; then
	if [ "$(readlink "$S/$K/current")" = releases/2 ] &&
		[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$S/$K/current/manifest.json")" = 2 ]; then
		ok "control: current is releases/2 and its manifest says version 2"
	else
		not_ok "control: current is releases/2 and its manifest says version 2" "$(readlink "$S/$K/current")"
	fi
	check "control: kit-fetch verify finds every file as its manifest says" kit-fetch verify --state "$S"
fi

# --- the corpus ---------------------------------------------------------------
while IFS='|' read -r name what rx; do
	use_repo "$name"
	S="$T/o/$name"
	lines=$(wc -l <"$S/log")
	if expect_exit 3 "$name: kit-fetch refuses $what (exit 3)" kit-fetch update --state "$S"; then
		expect_msg "$name: the message names the problem" "$rx"
		echo "# $name: $(grep -v '^kit-fetch: [0-9]* requests\?,' "$T/err" | head -1 |
			sed -E "s|$S/downloads/[0-9a-f]{64}\\.||")"
	else
		# accepted or wrong class: show what happened and go on
		echo "#   stderr: $(head -c 400 "$T/err")"
		echo "#   current: $(readlink "$S/$K/current")"
	fi
	after=$(snapshot "$S")
	[ "$after" = "$BEFORE" ] && ok "$name: the installed kit is unchanged" ||
		not_ok "$name: the installed kit is unchanged" "before: $BEFORE" "after:  $after"
	new=$(tail -n +"$((lines + 1))" "$S/log")
	if echo "$new" | grep -q '"event":"refused"' && echo "$new" | grep -q '"exit":3' &&
		echo "$new" | grep -Eq -- "$rx"; then
		ok "$name: the refusal and its reason are in the log"
	else
		not_ok "$name: the refusal and its reason are in the log" "$new"
	fi
	left=$(find "$S/staging" "$S/downloads" -mindepth 1 2>/dev/null | head -3)
	[ -z "$left" ] && ok "$name: nothing is left in staging/ or downloads/" ||
		not_ok "$name: nothing is left in staging/ or downloads/" "$left"
done <<<"$CASES"

# Nothing escaped anywhere: no file written outside the state directories,
# and no special file created by any case.
esc=$(find "$T" -name 'escaped-*' 2>/dev/null | head -3)
[ -z "$esc" ] && [ ! -e "$ABS" ] && ok "no '..' or absolute member was written anywhere ($ABS, escaped-*)" ||
	not_ok "no '..' or absolute member was written anywhere" "$esc" "$(ls -l "$ABS" 2>&1)"
special=$(find "$T/o" \( -type p -o -type s -o -type b -o -type c \) 2>/dev/null | head -3)
[ -z "$special" ] && ok "no FIFO, socket or device exists in any office" ||
	not_ok "no FIFO, socket or device exists in any office" "$special"
perms=$(find "$T/o" -perm /7000 2>/dev/null | head -3)
[ -z "$perms" ] && ok "no setuid, setgid or sticky file or directory exists in any office" ||
	not_ok "no setuid, setgid or sticky file or directory exists in any office" "$perms"
