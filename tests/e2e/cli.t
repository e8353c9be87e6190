#!/usr/bin/env bash
# Bad input gets one clear line and the documented exit code, never a crash.
. "$(dirname "$0")/lib.sh"

for p in kit-publish kit-fetch kit-schedule; do
	expect_exit 0 "$p --help" $p --help
	grep -q "usage" "$T/out" && ok "$p --help prints usage on stdout" || not_ok "$p --help prints usage on stdout"
	expect_exit 0 "$p --version" $p --version
	expect_exit 2 "$p with an unknown option exits 2" $p --no-such-option
done
expect_exit 2 "kit-publish unknown subcommand exits 2" kit-publish frobnicate
expect_msg "and says which" "unknown command 'frobnicate'"
expect_exit 2 "kit-fetch unknown subcommand exits 2" kit-fetch frobnicate --state "$T/x"
expect_exit 2 "kit-fetch without --state exits 2" kit-fetch update

# A missing state directory: local I/O, exit 5, and what to do.
expect_exit 5 "kit-fetch update on a missing state directory exits 5" kit-fetch update --state "$T/nowhere"
expect_msg "the message says to run init" "kit-fetch init"

# A missing and a malformed campaign.json, with file:line.
mkdir -p "$T/empty"
expect_exit 1 "validate a directory without campaign.json exits 1" kit-publish validate "$T/empty"
expect_msg "it names campaign.json" "campaign.json"
mkdir -p "$T/broken"
printf '{\n  "id": "broken",\n  "title": "x",,\n}\n' >"$T/broken/campaign.json"
expect_exit 1 "a malformed campaign.json exits 1" kit-publish validate "$T/broken"
if grep -Eq "campaign.json:3(:[0-9]+)?:" "$T/out" "$T/err"; then ok "the error is at campaign.json:3"
else not_ok "the error is at campaign.json:3" "$(cat "$T/out" "$T/err" | head -3)"; fi

# A wrong passphrase: verification refused, exit 3.
check "a repository to publish into" kit-publish init --repo "$T/repo" --keys "$T/keys" --quiet
KIT_PASSPHRASE="not the passphrase" expect_exit 3 "publishing with a wrong passphrase exits 3" \
	kit-publish publish "$KIT_SRC/campaigns/together-2016" --repo "$T/repo" --keys "$T/keys"
expect_msg "it says the passphrase is wrong" "passphrase"
[ ! -d "$T/repo/targets/together-2016" ] && ok "nothing was published" || not_ok "nothing was published"

# A URL that does not answer: network, exit 4.
check "publish for real" kit-publish publish "$KIT_SRC/campaigns/together-2016" --repo "$T/repo" --keys "$T/keys" --quiet
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
check "kit-fetch init against a closed port" kit-fetch init --state "$T/office" \
	--root "$T/repo/metadata/1.root.json" --url "http://127.0.0.1:$port/"
expect_exit 4 "a URL that does not answer exits 4" kit-fetch update --state "$T/office" --retry-base-ms 10
expect_msg "the message names the URL" "127.0.0.1:$port"
expect_msg "a transport failure is not called a refusal, and says what to do" "could not update from http://127\.0\.0\.1:$port/.*; the installed kits are kept: check the network or the mirror, then run again"

# Two runs at once: the second is refused with exit 5.
check "office state for the lock test" kit-fetch init --state "$T/office2" \
	--root "$T/repo/metadata/1.root.json" --url "file://$T/repo"
# Hold the lock as a running kit-fetch would (fcntl), from another process.
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); time.sleep(10)' "$T/office2/lock" "$T/locked" &
holder=$!
at_exit "kill $holder 2>/dev/null"
for _ in $(seq 50); do [ -f "$T/locked" ] && break; sleep 0.1; done
expect_exit 5 "a second kit-fetch while one runs exits 5" kit-fetch update --state "$T/office2"
expect_msg "it says another one is running" "another kit-fetch|running|lock"
kill $holder 2>/dev/null; wait $holder 2>/dev/null
