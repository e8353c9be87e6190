#!/usr/bin/env bash
# The Makefile's install step (make deps, make deps-check): it asks apt-get
# for exactly the Debian packages of what is missing, and never for nodejs
# or npm while a node and an npm are there (a Node.js from outside Debian
# conflicts with Debian's npm, and apt-get then fails).
# Everything is made to look missing: PATH holds only the few commands the
# step itself runs, PKG_CONFIG_LIBDIR is an empty directory and DEPS_ROOT
# (the root of the absolute paths the probes look at) is empty too.  apt-get
# is a shim that logs its arguments and runs `apt-get -s` (simulate), so the
# install step is resolved by the real apt-get against this machine's
# packages without installing anything; `id` is a shim that says root.
# Last, the repository must track no generated file (__pycache__ and such).
. "$(dirname "$0")/lib.sh"

MAKE_BIN=$(command -v make)
APT=/usr/bin/apt-get
[ -x "$APT" ] || { not_ok "apt-get is installed (this test needs a Debian system)"; exit 1; }
EMPTY=$T/empty
mkdir -p "$EMPTY"

# The packages for everything: the build set, then the run and test sets.
BUILD_PKGS="gcc libc6-dev pkgconf libcurl4-openssl-dev libssl-dev libarchive-dev libzstd-dev libjansson-dev"
CHECK_PKGS="$BUILD_PKGS tzdata libcmocka-dev libtest-harness-perl nginx-light minisign zstd curl strace openssl
	python3-jsonschema python3-icalendar python3-cryptography ca-certificates chromium clang-format"

# shim_path DIR UID MODE [COMMAND...]: DIR holds only the commands the
# install step runs, the named extra ones, an `id` that prints UID and an
# apt-get that logs to DIR/apt.log and then, by MODE, simulates (sim),
# succeeds without resolving (ok) or fails as a held package does (fail).
shim_path() {
	local dir=$1 uid=$2 mode=$3 c
	shift 3
	mkdir -p "$dir"
	for c in sed find mkdir grep tr cat env "$@"; do
		ln -sf "$(command -v "$c")" "$dir/$c"
	done
	printf '#!/bin/sh\necho %s\n' "$uid" >"$dir/id"
	cat >"$dir/apt-get" <<-EOF
	#!/bin/sh
	echo "\$*" >>"$dir/apt.log"
	case "\$1" in update) exit 0;; esac
	case $mode in
	sim) exec $APT -s "\$@";;
	ok) exit 0;;
	fail) echo "E: Unable to correct problems, you have held broken packages."; exit 100;;
	esac
	EOF
	chmod +x "$dir/id" "$dir/apt-get"
}

# hidden_make DIR GOAL: make GOAL with DIR as the whole PATH and every
# library and absolute path looking missing; output in $T/out and $T/err.
hidden_make() {
	env PATH="$1" PKG_CONFIG_LIBDIR="$EMPTY" PKG_CONFIG_PATH= \
		"$MAKE_BIN" --no-print-directory -C "$KIT_SRC" "$2" BUILD="$T/build" DEPS_ROOT="$EMPTY"
}

# asked DIR: the packages the last `apt-get install` in DIR/apt.log named, sorted
asked() {
	grep '^install' "$1/apt.log" 2>/dev/null | tail -1 | tr ' ' '\n' | grep -v '^-' | grep -v '^install$' | grep . | sort
}
sorted() { echo $1 | tr ' ' '\n' | sort; }

same_packages() {
	local desc=$1 dir=$2 want=$3
	if [ "$(asked "$dir")" = "$(sorted "$want")" ]; then
		ok "$desc"
	else
		not_ok "$desc" "asked:  $(asked "$dir" | tr '\n' ' ')" "wanted: $(sorted "$want" | tr '\n' ' ')"
	fi
}

# Package lists are needed to simulate; a machine that never ran apt-get
# update has none.
if ! apt-cache show libcmocka-dev >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1
fi

# --- node and npm work: everything else is asked for, and apt-get resolves ---
S=$T/shim-node
shim_path "$S" 0 sim node npm
expect_exit 0 "make deps-check with everything but node and npm missing: apt-get -s resolves the install" hidden_make "$S" deps-check
same_packages "it asks for exactly the packages of what is missing, and not for nodejs or npm" "$S" "$CHECK_PKGS"
if [ "$(head -1 "$S/apt.log" 2>/dev/null | cut -d" " -f1)" = update ]; then ok "it runs apt-get update first"
else not_ok "it runs apt-get update first" "$(head -2 "$S/apt.log" 2>/dev/null)"; fi
grep -q "^kit: installing .*nginx-light" "$T/out" && ok "it says what it installs" ||
	not_ok "it says what it installs" "$(head -3 "$T/out")"

# --- a plain make: the build libraries only -----------------------------------
S=$T/shim-build
shim_path "$S" 0 sim node npm
expect_exit 0 "make deps with everything missing: apt-get -s resolves the install" hidden_make "$S" deps
same_packages "a plain make asks for the compiler and the build libraries only" "$S" "$BUILD_PKGS"

# --- make fuzz: clang and libFuzzer, through the same mechanism ----------------
S=$T/shim-fuzz
shim_path "$S" 0 sim node npm
expect_exit 0 "make deps-fuzz with everything missing: apt-get -s resolves the install" hidden_make "$S" deps-fuzz
same_packages "make fuzz asks for the build set, clang and libFuzzer's runtime" "$S" "$BUILD_PKGS clang libclang-rt-dev"

# --- no node, no npm: Debian's are asked for ------------------------------------
S=$T/shim-nonode
shim_path "$S" 0 ok
expect_exit 0 "make deps-check with node and npm missing too" hidden_make "$S" deps-check
same_packages "it asks for Debian's nodejs and npm as well" "$S" "$CHECK_PKGS nodejs npm"

# --- a failing install: one line naming the packages and the log ---------------
S=$T/shim-fail
shim_path "$S" 0 fail node npm
expect_exit 2 "make deps-check fails when apt-get install fails" hidden_make "$S" deps-check
msg=$(grep '^kit: ' "$T/err")
if [ "$(grep -c . <<<"$msg")" = 1 ] && grep -q "apt-get install .*nginx-light.*failed: E: Unable to correct problems.*log: $T/build/deps.log" <<<"$msg"; then
	ok "one line names the packages, apt-get's error and the log file"
else
	not_ok "one line names the packages, apt-get's error and the log file" "$(cat "$T/err")"
fi

# --- not root: nothing is run, one line says what to run -------------------------
S=$T/shim-user
shim_path "$S" 1000 sim node npm
expect_exit 2 "make deps-check as another user stops" hidden_make "$S" deps-check
expect_msg "it says what to install as root" "^kit: missing .*cc.*; as root run: apt-get install .*libcurl4-openssl-dev"
[ ! -e "$S/apt.log" ] && ok "it does not run apt-get" || not_ok "it does not run apt-get" "$(cat "$S/apt.log")"

# --- this machine as it is (make check installed its needs): nothing to do ------
S=$T/shim-real
shim_path "$S" 0 fail
expect_exit 0 "make deps-check with this machine's own PATH and libraries" \
	env PATH="$S:$PATH" "$MAKE_BIN" --no-print-directory -C "$KIT_SRC" deps-check BUILD="$T/build"
[ ! -e "$S/apt.log" ] && ok "nothing is missing, so apt-get is not run" ||
	not_ok "nothing is missing, so apt-get is not run" "$(cat "$S/apt.log")" "$(cat "$T/out")"

# --- the repository tracks nothing generated ------------------------------------
if command -v git >/dev/null 2>&1 && git -C "$KIT_SRC" rev-parse --git-dir >/dev/null 2>&1; then
	gen=$(git -C "$KIT_SRC" ls-files | grep -E '(^|/)__pycache__/|\.pyc$|(^|/)node_modules/' | head -5)
	[ -z "$gen" ] && ok "git tracks no __pycache__, .pyc or node_modules" ||
		not_ok "git tracks no __pycache__, .pyc or node_modules" $gen
else
	ok "git tracks no __pycache__, .pyc or node_modules # SKIP not a git checkout, or no git"
fi
