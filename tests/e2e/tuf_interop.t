#!/usr/bin/env bash
# TUF interoperability with an independent implementation, both directions:
#   A. the repository kit-publish writes, served over HTTP, is accepted by
#      tuf-js (a conformant third-party TUF client from the npm registry),
#      follows it through a new kit version (non-ASCII custom data) and
#      kit-publish's root and timestamp key rotations, and refuses it once a
#      byte of signed metadata is changed;
#   B. a repository written by @tufjs/models (tuf-js's metadata library, keys
#      and signatures from node:crypto) is accepted by kit-fetch, and refused
#      (exit 3) once its timestamp signature is changed.
# The node packages come from tests/e2e/tufjs/package-lock.json, installed
# with `npm ci` once into $KIT_BUILD/tufjs (reused while the lock is the
# same).  No registry, no test: when npm cannot install them, this fails.
. "$(dirname "$0")/lib.sh"

NODE=${NODE:-node}
JS_SRC="$KIT_SRC/tests/e2e/tufjs"
JS="${KIT_BUILD:-$T}/tufjs"
C="$KIT_SRC/campaigns/together-2016"
NODE_TIMEOUT=120

# --- the third-party implementation -------------------------------------------
if ! command -v "$NODE" >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	not_ok "node and npm are installed" "the TUF interoperability test needs node (>= 18.17, as in Debian 12) and npm"
	exit 1
fi
if install_tufjs; then
	ok "npm ci installed tuf-js and @tufjs/models from the committed lockfile"
else
	mapfile -t why < <(grep -v 'Unknown user config' "$T/npm.log" |
		grep -E '(error|ERR!) (code|errno|[A-Za-z]*Error)|reason: |timed out|ETIMEDOUT|ENOTFOUND' | head -4)
	[ "${#why[@]}" -gt 0 ] || mapfile -t why < <(tail -4 "$T/npm.log")
	not_ok "npm ci installed tuf-js and @tufjs/models from the committed lockfile" \
		"npm ci in $JS failed; this test needs the npm registry (npm config get registry: $(npm config get registry 2>/dev/null))" \
		"${why[@]+"${why[@]}"}"
	rm -rf "$JS"
	exit 1
fi
outside=$(tufjs_engines_outside "$DEBIAN12_NODE" 2>&1) && [ -z "$outside" ] &&
	ok "every package in the lockfile declares it runs on Debian 12's Node.js $DEBIAN12_NODE" ||
	not_ok "every package in the lockfile declares it runs on Debian 12's Node.js $DEBIAN12_NODE" "$outside"
cp "$JS_SRC"/*.mjs "$JS/"
tufjs() { timeout "$NODE_TIMEOUT" "$NODE" "$JS/$1" "${@:2}"; }

# --- an HTTP server on loopback for both repositories -------------------------
W="$T/www"
mkdir -p "$W"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 900 python3 -m http.server --bind 127.0.0.1 --directory "$W" "$port" >"$T/http.log" 2>&1 &
http_pid=$!
at_exit "kill $http_pid 2>/dev/null; wait $http_pid 2>/dev/null"
up=0
for _ in $(seq 1 50); do
	if python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2>/dev/null; then
		up=1
		break
	fi
	sleep 0.2
done
if [ "$up" -eq 1 ]; then ok "python3 http.server serves $W on 127.0.0.1:$port"
else not_ok "python3 http.server serves $W on 127.0.0.1:$port" "$(tail -3 "$T/http.log")"; exit 1; fi
URL="http://127.0.0.1:$port"

# flip FILE REGEX: change one character (the regex's group 1) in FILE
flip() {
	python3 - "$1" "$2" <<'PY'
import re, sys
p, rx = sys.argv[1], sys.argv[2]
s = open(p, encoding="utf-8").read()
m = re.search(rx, s)
if not m:
    sys.exit("no match for %s in %s" % (rx, p))
c = s[m.start(1)]
n = "0" if c != "0" else "1"
if c.isalpha():
    n = "x" if c != "x" else "y"
open(p, "w", encoding="utf-8").write(s[:m.start(1)] + n + s[m.end(1):])
PY
}
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: d = d[k]
print(d if isinstance(d, str) else json.dumps(d, sort_keys=True))' "$@"; }

# --- A. kit-publish's repository, tuf-js's client -----------------------------
check "kit-publish init and publish the TOGETHER kit" new_repo repo
R="$T/repo"
ln -s "$R" "$W/ours"
# A kit is the target <campaign>/<office>.idx, its index (and its files in
# packs/, which a TUF client need not know of).
if check "tuf-js refreshes kit-publish's repository and downloads the global and Belgium kits (.idx)" \
	tufjs client.mjs --root "$R/metadata/1.root.json" --url "$URL/ours" --cache "$T/tufjs-a" \
	--get together-2016/global.idx "$T/a-global.idx" \
	--get together-2016/belgium.idx "$T/a-belgium.idx"; then
	cp "$T/out" "$T/a.out"
	g=$(ls "$R"/targets/together-2016/*.global.idx)
	b=$(ls "$R"/targets/together-2016/*.belgium.idx)
	cmp -s "$g" "$T/a-global.idx" && ok "tuf-js got the published global index byte for byte" ||
		not_ok "tuf-js got the published global index byte for byte"
	cmp -s "$b" "$T/a-belgium.idx" && ok "tuf-js got the published Belgium index byte for byte" ||
		not_ok "tuf-js got the published Belgium index byte for byte"
	python3 -c 'import json,sys; i = json.load(open(sys.argv[1])); sys.exit(0 if i["kit"]["office"] == "belgium" and i["objects"] else 1)' "$T/a-belgium.idx" &&
		ok "what tuf-js verified is the kit's index (its objects in packs/)" || not_ok "what tuf-js verified is the kit's index" "$(head -c 300 "$T/a-belgium.idx")"
	line=$(grep '^together-2016/belgium.idx ' "$T/a.out")
	if [ "$(echo "$line" | cut -d' ' -f3)" = "$(sha256sum <"$b" | cut -d' ' -f1)" ] &&
		echo "$line" | cut -d' ' -f4- | python3 -c 'import json,sys
c = json.load(sys.stdin)
sys.exit(0 if c["campaign"] == "together-2016" and c["office"] == "belgium" and c["version"] == 1 else 1)'; then
		ok "tuf-js reads the target's sha256 and custom (campaign, office, version)"
	else
		not_ok "tuf-js reads the target's sha256 and custom (campaign, office, version)" "$line"
	fi
fi

# Direction A with a delegated role: the Belgium kit moved into a role
# "office-belgium" (paths */belgium.idx, a key of its own) by kit's
# repository writer (tests/e2e/tuf_delegate.c until kit-publish has a
# command for it); tuf-js and kit-fetch both find it through the delegation.
DELEGATE="${KIT_BUILD:-}/asan/tests/tuf_delegate"
cp -a "$R" "$W/ours-deleg"
cp -a "$T/repo-keys" "$T/deleg-keys"
if [ ! -x "$DELEGATE" ]; then
	not_ok "kit's writer moves the Belgium bundle into a delegated office role" 		"no $DELEGATE: run through make check-e2e (it builds the helper and sets KIT_BUILD)"
else
	check "kit's writer moves the Belgium bundle into a delegated office role" 		"$DELEGATE" "$W/ours-deleg" "$T/deleg-keys" office-belgium '*/belgium.idx' 		together-2016/belgium.idx
fi
python3 - "$W/ours-deleg/metadata" <<'PY' && ok "its targets delegate to office-belgium, whose role lists the bundle, and the snapshot lists the role" ||
import glob, json, os, sys
d = sys.argv[1]
newest = lambda pat: max(glob.glob(os.path.join(d, pat)), key=lambda p: int(os.path.basename(p).split(".")[0]))
t = json.load(open(newest("*.targets.json")))["signed"]
r = json.load(open(newest("*.office-belgium.json")))["signed"]
s = json.load(open(newest("*.snapshot.json")))["signed"]
sys.exit(0 if "together-2016/belgium.idx" not in t["targets"] and
         [x["name"] for x in t["delegations"]["roles"]] == ["office-belgium"] and
         list(r["targets"]) == ["together-2016/belgium.idx"] and
         "office-belgium.json" in s["meta"] else 1)
PY
	not_ok "its targets delegate to office-belgium, whose role lists the bundle, and the snapshot lists the role"
if check "tuf-js finds the Belgium kit through kit's delegation" 	tufjs client.mjs --root "$R/metadata/1.root.json" --url "$URL/ours-deleg" --cache "$T/tufjs-ad" 	--get together-2016/belgium.idx "$T/ad-belgium.idx"; then
	cmp -s "$(ls "$R"/targets/together-2016/*.belgium.idx)" "$T/ad-belgium.idx" &&
		ok "tuf-js got the Belgium index byte for byte through the delegation" ||
		not_ok "tuf-js got the Belgium index byte for byte through the delegation"
fi
# (over file://: python's http.server answers no Range request, and the
# kit has no archive to fall back to)
check "kit-fetch init (Belgium office) against kit's delegated repository" 	kit-fetch init --state "$T/office-ad" --root "$R/metadata/1.root.json" --url "file://$W/ours-deleg" --office belgium
check "kit-fetch update installs Belgium's bundle through the delegation" kit-fetch update --state "$T/office-ad" --quiet
[ "$(json_get "$T/office-ad/kits/together-2016/current/manifest.json" office 2>/dev/null)" = belgium ] &&
	ok "the installed kit is the Belgium bundle" || not_ok "the installed kit is the Belgium bundle"

# Attack in direction A: one byte of the served targets metadata changed.
cp -a "$R" "$W/ours-targets"
tm=$(ls "$W"/ours-targets/metadata/*.targets.json | sort -V | tail -1)
flip "$tm" '"title": *"TOGETHER: International (M)igrants'
expect_exit 1 "tuf-js refuses kit-publish's repository with one byte of targets metadata changed" \
	tufjs client.mjs --root "$R/metadata/1.root.json" --url "$URL/ours-targets" --cache "$T/tufjs-a2" \
	--get together-2016/belgium.idx "$T/a2.idx"
expect_msg "tuf-js names the check that failed" "tuf-js refused: .*(hash|length|[Ss]ignature|signed)"
[ ! -e "$T/a2.idx" ] && ok "tuf-js downloaded nothing" || not_ok "tuf-js downloaded nothing"

# Published with --archives: the same kits as archives too, which tuf-js
# fetches and verifies like any target, and a kit-fetch that cannot have
# ranges (python's http.server ignores Range) installs from.
check "kit-publish publish --archives (the same version 1)" \
	kit-publish publish "$C" --repo "$R" --keys "$T/repo-keys" --archives --quiet
if check "tuf-js downloads the Belgium archive" \
	tufjs client.mjs --root "$R/metadata/1.root.json" --url "$URL/ours" --cache "$T/tufjs-a" \
	--get together-2016/belgium.tar.zst "$T/a-belgium.tar.zst"; then
	cmp -s "$(ls "$R"/targets/together-2016/*.belgium.tar.zst)" "$T/a-belgium.tar.zst" && ok "tuf-js got the published Belgium archive byte for byte" ||
		not_ok "tuf-js got the published Belgium archive byte for byte"
	tar --zstd -tf "$T/a-belgium.tar.zst" manifest.json >/dev/null 2>&1 && ok "and it is the kit's archive" || not_ok "and it is the kit's archive"
fi
check "kit-fetch init over python's http.server" kit-fetch init --state "$T/office-a" --root "$R/metadata/1.root.json" --url "$URL/ours" --office belgium
expect_exit 0 "kit-fetch installs from the archive where no range can be had" kit-fetch update --state "$T/office-a"
expect_msg "it says it downloads the archive instead" "downloading the whole archive instead"
[ "$(json_get "$T/office-a/kits/together-2016/current/manifest.json" office 2>/dev/null)" = belgium ] &&
	ok "the Belgium kit is installed" || not_ok "the Belgium kit is installed"

# Attack in direction A: one hex digit of the timestamp signature changed.
cp -a "$R" "$W/ours-ts"
flip "$W/ours-ts/metadata/timestamp.json" '"sig": *"([0-9a-f])'
expect_exit 1 "tuf-js refuses kit-publish's repository with a changed timestamp signature" \
	tufjs client.mjs --root "$R/metadata/1.root.json" --url "$URL/ours-ts" --cache "$T/tufjs-a3"
expect_msg "tuf-js says the timestamp is not signed" "tuf-js refused: .*timestamp.*(signed|keys)|UnsignedMetadata"

# A new kit version whose title needs canonical JSON's care (non-ASCII, a
# quote, a backslash, a character outside the BMP): tuf-js updates from the
# metadata it trusted before (new timestamp, snapshot and targets versions).
TITLE='TOGETHER — «Zusammen», "ensemble" \ juntos ☃ 🌍'
cp -a "$C" "$T/camp"
python3 - "$T/camp/campaign.json" "$TITLE" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["title"] = sys.argv[2]
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
PY
check "kit-publish publish version 2 with a non-ASCII title" \
	kit-publish publish "$T/camp" --repo "$R" --keys "$T/repo-keys" --archives --quiet
if check "tuf-js updates from its trusted metadata to version 2" \
	tufjs client.mjs --root "$R/metadata/1.root.json" --url "$URL/ours" --cache "$T/tufjs-a" \
	--get together-2016/belgium.tar.zst "$T/a-belgium-2.tar.zst" \
	--get together-2016/belgium.idx "$T/a-belgium-2.idx"; then
	if grep '^together-2016/belgium.idx ' "$T/out" | cut -d' ' -f4- | python3 -c 'import json,sys
c = json.load(sys.stdin)
sys.exit(0 if c["version"] == 2 and c["title"] == sys.argv[1] else 1)' "$TITLE"; then
		ok "tuf-js sees version 2 and the exact title in the target's custom"
	else
		not_ok "tuf-js sees version 2 and the exact title in the target's custom" "$(cat "$T/out")"
	fi
	b=$(ls -t "$R"/targets/together-2016/*.belgium.tar.zst | head -1)
	cmp -s "$b" "$T/a-belgium-2.tar.zst" && ok "tuf-js got the version 2 archive byte for byte" ||
		not_ok "tuf-js got the version 2 archive byte for byte"
	b=$(ls -t "$R"/targets/together-2016/*.belgium.idx | head -1)
	cmp -s "$b" "$T/a-belgium-2.idx" && ok "tuf-js got the version 2 index byte for byte" ||
		not_ok "tuf-js got the version 2 index byte for byte"
fi

# Key rotation written by kit-publish: tuf-js, still trusting root version 1,
# walks the root chain (old and new thresholds) to the new keys.
check "kit-publish rotate --role root" kit-publish rotate --role root --repo "$R" --keys "$T/repo-keys" --quiet
check "kit-publish rotate --role timestamp" kit-publish rotate --role timestamp --repo "$R" --keys "$T/repo-keys" --quiet
rv=$(json_get "$R/metadata/root.json" signed version)
check "tuf-js follows kit-publish's root rotations from its trusted root" \
	tufjs client.mjs --root "$R/metadata/1.root.json" --url "$URL/ours" --cache "$T/tufjs-a" \
	--get together-2016/global.idx "$T/a-global-3.idx"
trv=$(json_get "$T/tufjs-a/metadata/root.json" signed version 2>/dev/null)
[ "$rv" -ge 3 ] && [ "$trv" = "$rv" ] && ok "tuf-js now trusts root version $rv" ||
	not_ok "tuf-js now trusts the newest root" "repository root version $rv, tuf-js trusts $trv"
check "tuf-js follows the rotations starting from root version 1 afresh" \
	tufjs client.mjs --root "$R/metadata/1.root.json" --url "$URL/ours" --cache "$T/tufjs-a4"

# --- B. @tufjs/models's repository, kit-fetch's client ------------------------
check "kit-publish build the TOGETHER kit (version 1)" kit-publish build "$C" --out "$T/build" --quiet
A="$T/build/together-2016/belgium.tar.zst"
if ! tar --zstd -xOf "$A" manifest.json >"$T/manifest.json" 2>"$T/err"; then
	not_ok "read manifest.json from the Belgium archive" "$(head -2 "$T/err")"
	exit 1
fi
custom=$(python3 -c 'import json,sys; m = json.load(open(sys.argv[1]))
print(json.dumps({"campaign": m["campaign"], "office": m["office"], "version": m["version"], "window": m["window"], "content": m["content"],
	"note": "Brüssel \"ensemble\" back\\slash ☃ 🌍\ttab\nnewline"}))' "$T/manifest.json")
TH="$W/theirs"
check "@tufjs/models writes and signs a consistent-snapshot repository for the Belgium bundle" \
	tufjs make_repo.mjs --out "$TH" --target together-2016/belgium.tar.zst --file "$A" --custom "$custom"
# Control: their repository is valid for tuf-js itself.
check "tuf-js accepts the @tufjs/models repository (control)" \
	tufjs client.mjs --root "$TH/metadata/1.root.json" --url "$URL/theirs" --cache "$T/tufjs-b" \
	--get together-2016/belgium.tar.zst "$T/b-belgium.tar.zst"
check "kit-fetch init with their 1.root.json pinned (Belgium office)" \
	kit-fetch init --state "$T/office" --root "$TH/metadata/1.root.json" --url "file://$TH" --office belgium
check "kit-fetch update installs the kit from their repository" kit-fetch update --state "$T/office" --quiet
K="$T/office/kits/together-2016/current"
if [ -f "$K/manifest.json" ] && [ "$(json_get "$K/manifest.json" office)" = belgium ] &&
	[ "$(json_get "$K/manifest.json" content)" = "$(json_get "$T/manifest.json" content)" ]; then
	ok "the installed kit is the Belgium bundle their targets metadata names"
else
	not_ok "the installed kit is the Belgium bundle their targets metadata names"
fi
expect_exit 0 "a second update from their repository is 'up to date'" kit-fetch update --state "$T/office"
expect_msg "it says so" "up to date"

# The same over HTTP.
check "kit-fetch init over HTTP against their repository" \
	kit-fetch init --state "$T/office-http" --root "$TH/metadata/1.root.json" --url "$URL/theirs" --office belgium
check "kit-fetch update over HTTP installs the kit" kit-fetch update --state "$T/office-http" --quiet
[ -f "$T/office-http/kits/together-2016/current/manifest.json" ] &&
	ok "the kit is installed from their repository over HTTP" ||
	not_ok "the kit is installed from their repository over HTTP"

# Attack in direction B: their timestamp with one hex digit of its signature changed.
cp -a "$TH" "$W/theirs-ts"
flip "$W/theirs-ts/metadata/timestamp.json" '"sig": *"([0-9a-f])'
check "kit-fetch init (fresh office) against their tampered repository" \
	kit-fetch init --state "$T/office2" --root "$TH/metadata/1.root.json" --url "file://$W/theirs-ts" --office belgium
expect_exit 3 "kit-fetch refuses their timestamp with a changed signature (exit 3)" \
	kit-fetch update --state "$T/office2"
expect_msg "the message names the timestamp" "timestamp"
[ ! -e "$T/office2/kits/together-2016/current" ] && ok "nothing was installed" || not_ok "nothing was installed"
expect_exit 1 "tuf-js refuses the same tampered repository (control)" \
	tufjs client.mjs --root "$TH/metadata/1.root.json" --url "$URL/theirs-ts" --cache "$T/tufjs-b2"

# The office that trusts their repository, pointed at the tampered copy: refused, kit untouched.
before=$(tree_hash "$K/")
python3 - "$T/office/config.json" "file://$W/theirs-ts" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["url"] = sys.argv[2]
json.dump(c, open(p, "w"))
PY
expect_exit 3 "kit-fetch (installed office) refuses the changed timestamp signature (exit 3)" \
	kit-fetch update --state "$T/office"
[ "$(tree_hash "$K/")" = "$before" ] && ok "the installed kit is untouched" || not_ok "the installed kit is untouched"

# --- B, delegated: the office's bundle signed by an office role --------------
# Their repository lists the global kit in the top-level targets and
# delegates "*/belgium.tar.zst" to a role "office-belgium" with a key of its
# own, which lists the Belgium bundle: kit-fetch finds it through the
# delegation (preorder search, the role checked against the snapshot and
# the delegation's key), an office whose paths it does not cover never
# reads the role, and a changed role signature is refused.
G="$T/build/together-2016/global.tar.zst"
if ! tar --zstd -xOf "$G" manifest.json >"$T/manifest-global.json" 2>"$T/err"; then
	not_ok "read manifest.json from the global archive" "$(head -2 "$T/err")"
	exit 1
fi
custom_global=$(python3 -c 'import json,sys; m = json.load(open(sys.argv[1]))
print(json.dumps({k: m[k] for k in ("campaign", "office", "version", "window", "content")}))' "$T/manifest-global.json")
TD="$W/theirs-deleg"
check "@tufjs/models writes a repository that delegates */belgium.tar.zst to an office role with its own key" \
	tufjs make_repo.mjs --out "$TD" --delegate office-belgium --paths '*/belgium.tar.zst' \
	--target together-2016/global.tar.zst --file "$G" --custom "$custom_global" \
	--target together-2016/belgium.tar.zst --file "$A" --custom "$custom" --in office-belgium
python3 - "$TD/metadata/1.targets.json" <<'PY' && ok "the top-level targets list only the global kit and the delegation" ||
import json, sys
s = json.load(open(sys.argv[1]))["signed"]
sys.exit(0 if list(s["targets"]) == ["together-2016/global.tar.zst"] and
         [r["name"] for r in s["delegations"]["roles"]] == ["office-belgium"] else 1)
PY
	not_ok "the top-level targets list only the global kit and the delegation"
check "tuf-js finds the Belgium bundle through the delegation (control)" \
	tufjs client.mjs --root "$TD/metadata/1.root.json" --url "$URL/theirs-deleg" --cache "$T/tufjs-d" \
	--get together-2016/belgium.tar.zst "$T/d-belgium.tar.zst"
check "kit-fetch init (Belgium office) against their delegated repository" \
	kit-fetch init --state "$T/office-d" --root "$TD/metadata/1.root.json" --url "$URL/theirs-deleg" --office belgium
check "kit-fetch update installs through the delegation" kit-fetch update --state "$T/office-d" --quiet
KD="$T/office-d/kits/together-2016/current"
[ -f "$KD/manifest.json" ] && [ "$(json_get "$KD/manifest.json" office)" = belgium ] &&
	ok "the installed kit is the Belgium bundle the office role signs" ||
	not_ok "the installed kit is the Belgium bundle the office role signs" \
		"office: $(json_get "$KD/manifest.json" office 2>&1)"
[ -f "$T/office-d/metadata/office-belgium.json" ] && ok "kit-fetch keeps the trusted office role beside the top-level roles" ||
	not_ok "kit-fetch keeps the trusted office role beside the top-level roles" "$(ls "$T/office-d/metadata")"
expect_exit 0 "a second update is 'up to date'" kit-fetch update --state "$T/office-d"
expect_msg "it says so" "up to date"
# Hungary: the role's paths do not cover hungary.tar.zst, so it is not read.
check "kit-fetch init (Hungary office) against their delegated repository" \
	kit-fetch init --state "$T/office-dh" --root "$TD/metadata/1.root.json" --url "$URL/theirs-deleg" --office hungary
check "kit-fetch update installs the global kit for Hungary" kit-fetch update --state "$T/office-dh" --quiet
[ "$(json_get "$T/office-dh/kits/together-2016/current/manifest.json" office 2>/dev/null)" = global ] &&
	[ ! -e "$T/office-dh/metadata/office-belgium.json" ] &&
	ok "Hungary got the global kit and never read the Belgium role" ||
	not_ok "Hungary got the global kit and never read the Belgium role"
# The office role with one hex digit of its signature changed (their
# snapshot lists its hash, so that is what refuses it first; a wrong key is
# refused by the signature check, tests/unit/tuf_test.c).
cp -a "$TD" "$W/theirs-deleg-sig"
flip "$W/theirs-deleg-sig/metadata/1.office-belgium.json" '"sig": *"([0-9a-f])'
check "kit-fetch init (fresh Belgium office) against the copy with a changed role signature" \
	kit-fetch init --state "$T/office-d2" --root "$TD/metadata/1.root.json" --url "$URL/theirs-deleg-sig" --office belgium
expect_exit 3 "kit-fetch refuses the office role with a changed signature (exit 3)" \
	kit-fetch update --state "$T/office-d2"
expect_msg "the message names the role" 'delegated role "office-belgium" metadata 1.office-belgium.json has SHA-256'
[ ! -e "$T/office-d2/kits/together-2016/current" ] && ok "nothing was installed" || not_ok "nothing was installed"
expect_exit 1 "tuf-js refuses the same changed role (control)" \
	tufjs client.mjs --root "$TD/metadata/1.root.json" --url "$URL/theirs-deleg-sig" --cache "$T/tufjs-d2" \
	--get together-2016/belgium.tar.zst "$T/d2-belgium.tar.zst"

# --- C. kit-publish with a registry of offices: one role per office, tuf-js --------
# kit-publish with a registry of offices puts each office's kits in its own
# delegated role; tuf-js finds the Belgium kit through the delegation.
RD="$T/repo-deleg"
check "kit-publish init (offices delegated)" kit-publish init --repo "$RD" --keys "$RD-keys" --quiet
check "the registry lists Belgium and Hungary" sh -c "kit-publish office add belgium --name 'IOM Belgium' --country Belgium --timezone Europe/Brussels --languages fr,nl,en --repo '$RD' --keys '$RD-keys' --quiet && kit-publish office add hungary --name 'IOM Hungary' --country Hungary --timezone Europe/Budapest --languages hu,en --repo '$RD' --keys '$RD-keys' --quiet && kit-publish office add turkmenistan --name 'IOM Turkmenistan' --country Turkmenistan --timezone Asia/Ashgabat --languages tk,ru --repo '$RD' --keys '$RD-keys' --quiet"
check "publish the TOGETHER kit" kit-publish publish "$C" --repo "$RD" --keys "$RD-keys" --quiet
ln -s "$RD" "$W/ours-org"
check "tuf-js downloads the Belgium kit through its delegated role" \
	tufjs client.mjs --root "$RD/metadata/1.root.json" --url "$URL/ours-org" --cache "$T/tufjs-org" \
	--get together-2016/belgium.idx "$T/org-belgium.idx"
cmp -s "$(ls "$RD"/targets/together-2016/*.belgium.idx)" "$T/org-belgium.idx" &&
	ok "byte for byte the kit kit-publish signed into the belgium role" || not_ok "delegated kit bytes"
grep -q '"belgium.json"' "$RD/metadata/timestamp.json" "$(ls -v "$RD"/metadata/*.snapshot.json | tail -1)" &&
	ok "the snapshot lists the role" || not_ok "snapshot lists belgium.json"
