#!/usr/bin/env bash
# A hostile repository copy on removable media (kit-fetch update --from).
# A FIFO or a device where a metadata file should be must not block or feed
# the run for ever; a link on the stick to a file only root may read must
# not be read (kit-fetch runs as root), and no byte of an unverified file
# may reach a message, the log or status.json.  Each is refused (exit 3)
# quickly, with one line naming the file and why, and nothing is installed.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

check "publish" new_repo repo
R="$T/repo"
check "export a copy for removable media" kit-publish export --repo "$R" --keys "$T/repo-keys" --to "$T/copy" --valid-for 30d --quiet
check "an office that was never online" kit-fetch init --state "$T/office" --root "$R/metadata/1.root.json" --office belgium
cp -a "$T/office" "$T/office0"
# What root may read and nobody else: its bytes must never show.
printf 'SECRET-BYTES-0123 only root may read this\n' >"$T/secret" && chmod 0600 "$T/secret"
mkdir -p "$T/elsewhere" && cp -a "$T/copy/metadata" "$T/elsewhere/metadata"

# a fresh copy, and an office that has seen nothing yet
fresh() { rm -rf "$T/usb" "$T/office" && cp -a "$T/copy" "$T/usb" && cp -a "$T/office0" "$T/office"; }
# attack NAME WHAT: update --from the stick must refuse (exit 3) within 60 s,
# naming WHAT, with nothing secret anywhere and nothing installed
attack() {
	local name=$1 what=$2 rc start=$SECONDS
	timeout 60 kit-fetch update --state "$T/office" --from "$T/usb" >"$T/out" 2>"$T/err"; rc=$?
	if [ "$rc" -eq 3 ]; then ok "$name: refused (exit 3) in $((SECONDS - start)) s"
	else not_ok "$name: refused (exit 3)" "exit $rc$([ $rc = 124 ] && echo ' (timed out: blocked)')" "$(head -3 "$T/err")"; fi
	expect_msg "$name: the message names it and says why" "$what"
	if grep -rqs "SECRET" "$T/err" "$T/out" "$T/office/log" "$T/office/status.json"; then
		not_ok "$name: no byte of the file in the messages, the log or status.json" "$(grep -rh SECRET "$T/err" "$T/office/log" | head -2)"
	else ok "$name: no byte of the file in the messages, the log or status.json"; fi
	grep -q '"refused"' "$T/office/log" && ok "$name: the refusal is in the log" || not_ok "$name: the refusal is in the log"
	[ ! -e "$T/office/kits/together-2016/current" ] && ok "$name: nothing installed" || not_ok "$name: nothing installed"
}

fresh && mkfifo "$T/usb/metadata/2.root.json"
attack "a FIFO as the next root" "2\.root\.json: it is a FIFO, not a regular file"
fresh && rm "$T/usb/metadata/timestamp.json" && mknod "$T/usb/metadata/timestamp.json" c 1 5
attack "a device (/dev/zero) as the timestamp" "timestamp\.json: it is a device, not a regular file"
fresh && ln -s "$T/secret" "$T/usb/metadata/2.root.json"
attack "the next root linked to a file only root may read" "2\.root\.json: it is a symbolic link"
fresh && rm -r "$T/usb/metadata" && ln -s "$T/elsewhere/metadata" "$T/usb/metadata"
attack "the metadata directory linked elsewhere" "metadata/.*: a directory on its way is a symbolic link"
fresh && for a in "$T"/usb/targets/together-2016/*.belgium.idx; do mv "$a" "$T/elsewhere/" && ln -s "$T/elsewhere/$(basename "$a")" "$a"; done
attack "the kit's index linked to a copy elsewhere" "belgium\.idx: it is a symbolic link"
# The packs, read by range: the same rules as any file on the stick.
fresh && for a in "$T"/usb/packs/*.pack; do mv "$a" "$T/elsewhere/" && ln -s "$T/elsewhere/$(basename "$a")" "$a"; done
attack "the packs linked to copies elsewhere" "packs/[0-9a-f]{64}\.pack: it is a symbolic link"
fresh && mv "$T/usb/packs" "$T/elsewhere/packs" && ln -s "$T/elsewhere/packs" "$T/usb/packs"
attack "the packs directory linked elsewhere" "packs/.*: a directory on its way is a symbolic link"
fresh && for a in "$T"/usb/packs/*.pack; do rm "$a" && mkfifo "$a"; done
attack "a FIFO as a pack" "packs/[0-9a-f]{64}\.pack: it is a FIFO, not a regular file"
fresh && for a in "$T"/usb/packs/*.pack; do truncate -s 100 "$a"; done
attack "a pack shorter than the index says" "shorter than the [0-9]+ bytes from byte [0-9]+ the signed index names"
# A regular file of garbage: refused as malformed, without quoting it.
fresh && cp "$T/secret" "$T/usb/metadata/2.root.json"
attack "garbage as the next root" "2\.root\.json is not valid JSON"

fresh
check "the clean copy installs" kit-fetch update --state "$T/office" --from "$T/usb" -q
check "kit-fetch verify" kit-fetch verify --state "$T/office"
