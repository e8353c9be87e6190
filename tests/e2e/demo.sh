#!/usr/bin/env bash
# make demo: publish the TOGETHER kit and fetch it as the Belgium office would.
set -euo pipefail
: "${BIN:?}" "${DEMO:?}" "${SRC:?}"
PATH="$BIN:$PATH"
mkdir -p "$DEMO"
# Demo keys only: a real publisher types the passphrase or keeps the file
# on an encrypted disk, never beside the repository.
[ -f "$DEMO/passphrase" ] || (umask 077; echo "demo passphrase $(date +%s%N)" >"$DEMO/passphrase")
export KIT_PASSPHRASE_FILE="$DEMO/passphrase"
if [ ! -f "$DEMO/repo/metadata/1.root.json" ]; then
	rm -rf "$DEMO/repo" "$DEMO/keys" "$DEMO/office"
	echo "== kit-publish init (demo keys in $DEMO/keys)"
	kit-publish init --repo "$DEMO/repo" --keys "$DEMO/keys"
fi
echo "== kit-publish publish campaigns/together-2016"
kit-publish publish "$SRC/campaigns/together-2016" --repo "$DEMO/repo" --keys "$DEMO/keys"
if [ ! -f "$DEMO/office/config.json" ]; then
	echo "== kit-fetch init (Belgium office, file:// repository)"
	kit-fetch init --state "$DEMO/office" --root "$DEMO/repo/metadata/1.root.json" \
		--url "file://$DEMO/repo" --office belgium
fi
echo "== kit-fetch update"
kit-fetch update --state "$DEMO/office"
echo "== kit-fetch status"
kit-fetch status --state "$DEMO/office"
echo "== installed kit: $DEMO/office/kits/together-2016/current"
ls "$DEMO/office/kits/together-2016/current/"
echo "== kit-schedule table (Europe/Brussels)"
kit-schedule --kit "$DEMO/office/kits/together-2016/current" table
echo
echo "Open $DEMO/office/kits/together-2016/current/index.html in a browser for the preview."
