#!/usr/bin/env bash
# make demo's script works from nothing, and a second time.
. "$(dirname "$0")/lib.sh"
unset KIT_PASSPHRASE
run_demo() { BIN="$KIT_BIN" DEMO="$T/demo" SRC="$KIT_SRC" bash "$KIT_SRC/tests/e2e/demo.sh"; }
check "the demo runs on a fresh directory" run_demo
grep -q "kit-schedule table" "$T/out" && ok "it prints the post schedule" || not_ok "it prints the post schedule"
grep -q "current" "$T/out" && ok "it prints the installed kit's path" || not_ok "it prints the installed kit's path"
check "the demo runs a second time" run_demo
grep -q "up to date" "$T/err" && ok "the second run is up to date" || not_ok "the second run is up to date" "$(tail -3 "$T/err")"
check "the Belgium office has the TOGETHER kit" test -f "$T/demo/office/kits/together-2016/current/index.html"
