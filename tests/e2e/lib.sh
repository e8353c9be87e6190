# lib.sh: a small TAP harness for the end-to-end tests (sourced).
# Each test file works in its own temporary directory, kept when it fails.
# Env: KIT_BIN (programs), KIT_SRC (repository root).
set -u
: "${KIT_BIN:?set KIT_BIN to the directory of the built programs}"
: "${KIT_SRC:?set KIT_SRC to the repository root}"
PATH="$KIT_BIN:$PATH"
export KIT_PASSPHRASE="demo passphrase, not secret"
unset KIT_PASSPHRASE_FILE KIT_TEST_NOW
T=$(mktemp -d "${TMPDIR:-/tmp}/kit-e2e.XXXXXX")
_n=0
_failed=0
_cleanups=()

on_exit() {
	local c
	for c in "${_cleanups[@]+"${_cleanups[@]}"}"; do eval "$c" || true; done
	echo "1..$_n"
	if [ "$_failed" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "# kept $T for inspection" >&2
	fi
	exit "$_failed"
}
trap on_exit EXIT
at_exit() { _cleanups+=("$1"); }

ok() { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok() { _n=$((_n + 1)); _failed=1; echo "not ok $_n - $1"; shift; for l in "$@"; do echo "#   $l"; done; return 1; }

# check DESC CMD...: the command must succeed
check() {
	local desc=$1; shift
	local rc=0
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" -eq 0 ]; then ok "$desc"
	else not_ok "$desc" "exit $rc: $*" "$(tail -5 "$T/err")"; fi
}

# expect_exit CODE DESC CMD...: the command must exit with CODE; its stderr
# is in $T/err (and must be exactly one line when CODE is not 0)
expect_exit() {
	local code=$1 desc=$2 rc; shift 2
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	if [ "$rc" -ne "$code" ]; then
		not_ok "$desc" "expected exit $code, got $rc: $*" "$(tail -5 "$T/err")"
		return 1
	fi
	if [ "$code" -ne 0 ] && [ "$(grep -vc '^kit-[a-z]*: .*[0-9]* requests\?,' "$T/err")" -lt 1 ]; then
		not_ok "$desc" "no message on stderr"
		return 1
	fi
	ok "$desc"
}

# expect_msg DESC REGEX: the last command's stderr matches REGEX
expect_msg() {
	if grep -Eq -- "$2" "$T/err"; then ok "$1"
	else not_ok "$1" "stderr does not match /$2/:" "$(head -3 "$T/err")"; fi
}

# start_server NAME CMD...: run a server that prints its port; sets $port
start_server() {
	local name=$1 i; shift
	"$@" >"$T/$name.port" 2>"$T/$name.log" &
	at_exit "kill $! 2>/dev/null"
	for i in $(seq 100); do [ -s "$T/$name.port" ] && break; sleep 0.05; done
	port=$(head -1 "$T/$name.port")
}

# tree_hash DIR: one digest over every path and content under DIR
tree_hash() {
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

# new_repo NAME: a published repository of the TOGETHER kit at $T/NAME
new_repo() {
	kit-publish init --repo "$T/$1" --keys "$T/$1-keys" --quiet &&
	kit-publish publish "${2:-$KIT_SRC/campaigns/together-2016}" --repo "$T/$1" --keys "$T/$1-keys" --quiet
}

# install_tufjs: npm ci of tests/e2e/tufjs/ (tuf-js, @tufjs/models) from the
# committed lockfile into $JS, reused while the lockfile is unchanged.  The
# pins run on Debian 12's Node.js 18.20 and npm 9 as well as on newer ones;
# the .npmrc there makes npm refuse a package whose engines exclude the node
# it runs on.  Needs JS_SRC and JS set; the npm log is $T/npm.log.
install_tufjs() {
	local f same=1
	[ -f "$JS/node_modules/.package-lock.json" ] || same=0
	for f in package.json package-lock.json .npmrc; do
		cmp -s "$JS_SRC/$f" "$JS/$f" || same=0
	done
	[ "$same" = 1 ] && return 0
	rm -rf "$JS" && mkdir -p "$JS" &&
		cp "$JS_SRC/package.json" "$JS_SRC/package-lock.json" "$JS_SRC/.npmrc" "$JS/" &&
		(cd "$JS" && timeout 300 npm ci --no-audit --no-fund --loglevel=error \
			--fetch-retries=2 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000) \
			>"$T/npm.log" 2>&1
}

# DEBIAN12_NODE: the Node.js of Debian 12 (bookworm), which the pins must run on.
DEBIAN12_NODE=18.20.4

# tufjs_engines_outside VERSION: after install_tufjs, print each installed
# package whose declared Node.js engines exclude VERSION, nothing when all
# admit it; exit 1 when it cannot tell.  Ranges are read with semver, from
# the lockfile's packages or else npm's own.
tufjs_engines_outside() {
	local npm_dir
	npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
	(cd "$JS" && "${NODE:-node}" -e '
		let semver;
		try { semver = require("semver"); } catch { semver = require(process.argv[2] + "/node_modules/semver"); }
		const lock = require("./node_modules/.package-lock.json");
		for (const [name, p] of Object.entries(lock.packages)) {
			const range = p.engines && p.engines.node;
			if (range && !semver.satisfies(process.argv[1], range))
				console.log(`${name} ${p.version} needs node ${range}`);
		}' "$1" "$npm_dir")
}

# two_offices FILE: the registry lines (kit-publish office import) of the
# offices of migrants-day-2021's overlays, belgium and hungary
two_offices() {
	cat >"$1" <<'JSONL'
{"id": "belgium", "name": "IOM Belgium and Luxembourg", "country": "Belgium", "timezone": "Europe/Brussels", "languages": ["fr", "nl", "en"]}
{"id": "hungary", "name": "IOM Hungary", "country": "Hungary", "timezone": "Europe/Budapest", "languages": ["hu", "en"]}
JSONL
}

# correct_post OVERLAY N: the first post of an overlay gets " (correction N)"
correct_post() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
p = sys.argv[1]
o = json.load(open(p))
o["posts"][0]["text"] = o["posts"][0]["text"] + " (correction %s)" % sys.argv[2]
json.dump(o, open(p, "w"), ensure_ascii=False, indent=2)
PY
}
