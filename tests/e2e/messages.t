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
