#!/usr/bin/env bash
# Links in a campaign directory.  Only files that are really in the
# campaign may be signed into bundles: a `media` or `statements` directory
# linked elsewhere (here to a copy of the keys directory whose files were
# renamed .svg and .md), a linked overlay directory, campaign.json, a single
# linked file, or a FIFO are refused by validate, build and publish (exit 3,
# naming the file and why), and the repository does not change.
. "$(dirname "$0")/lib.sh"

check "a repository with the campaign" new_repo repo
R="$T/repo"
repo_before=$(tree_hash "$R")

# What an attacker (or a careless copy) would like to see published.
mkdir -p "$T/elsewhere/media" "$T/elsewhere/statements" "$T/elsewhere/offices"
cp "$T/repo-keys/targets-1.pem" "$T/elsewhere/media/together-card.svg"
cp "$T/repo-keys/targets-1.pem" "$T/elsewhere/media/together-square.png"
cp "$T/repo-keys/targets-1.pem" "$T/elsewhere/statements/together-message.md"
cp "$KIT_SRC/campaigns/together-2016/offices/"*.json "$T/elsewhere/offices/"
printf 'about the keys\n' >"$T/elsewhere/about.md"

# in_output DESC REGEX: the last command's diagnostics (stdout) or stderr match
in_output() {
	if grep -Eqs -- "$2" "$T/out" "$T/err"; then ok "$1"
	else not_ok "$1" "output does not match /$2/:" "$(head -3 "$T/out" "$T/err")"; fi
}
fresh() { rm -rf "$T/camp" && cp -a "$KIT_SRC/campaigns/together-2016" "$T/camp"; }
# refused NAME: validate, build and publish all refuse the campaign in $T/camp
refused() {
	local name=$1 what=$2
	expect_exit 3 "$name: validate refuses it (exit 3)" kit-publish validate "$T/camp"
	in_output "$name: validate names $what and says it is a link" "$what.*(symbolic link|not a regular file)"
	expect_exit 3 "$name: build refuses it (exit 3)" kit-publish build "$T/camp" --out "$T/out-$RANDOM"
	expect_exit 3 "$name: publish refuses it (exit 3)" kit-publish publish "$T/camp" --repo "$R" --keys "$T/repo-keys"
	if find "$R" "$T"/out-* -name '*.tar.zst' -exec zstd -dcq {} + 2>/dev/null |
		grep -aq "PRIVATE KEY\|about the keys"; then
		not_ok "$name: nothing from elsewhere went into a bundle"
	else ok "$name: nothing from elsewhere went into a bundle"; fi
	[ "$(tree_hash "$R")" = "$repo_before" ] && ok "$name: the repository did not change" || not_ok "$name: the repository did not change"
}

fresh && rm -r "$T/camp/media" && ln -s "$T/elsewhere/media" "$T/camp/media"
refused "media linked to another directory" "media/together-card.svg"
fresh && rm -r "$T/camp/statements" && ln -s "$T/elsewhere/statements" "$T/camp/statements"
refused "statements linked to another directory" "statements/together-message.md"
fresh && rm -r "$T/camp/offices" && ln -s "$T/elsewhere/offices" "$T/camp/offices"
refused "offices linked to another directory" "offices"
fresh && rm "$T/camp/about.md" && ln -s "$T/elsewhere/about.md" "$T/camp/about.md"
refused "about.md linked to a file elsewhere" "about.md"
fresh && rm "$T/camp/media/together-card.svg" && ln -s "$T/elsewhere/media/together-card.svg" "$T/camp/media/together-card.svg"
refused "one media file linked elsewhere" "media/together-card.svg"
fresh && mv "$T/camp/campaign.json" "$T/elsewhere/campaign.json" && ln -s "$T/elsewhere/campaign.json" "$T/camp/campaign.json"
refused "campaign.json linked elsewhere" "campaign.json"
# A FIFO where a media file should be: refused at once, not waited on.
fresh && rm "$T/camp/media/together-card.svg" && mkfifo "$T/camp/media/together-card.svg"
timeout 20 kit-publish validate "$T/camp" >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" -eq 3 ] && ok "a FIFO as a media file is refused at once (exit 3)" || not_ok "a FIFO as a media file is refused at once (exit 3)" "exit $rc" "$(head -3 "$T/err")"
in_output "the message says it is a FIFO" "together-card.svg.*a FIFO, not a regular file"

# The campaign directory itself may be reached through a link the user gave.
ln -s "$KIT_SRC/campaigns/together-2016" "$T/camp-link"
check "a campaign given through a link to its directory validates" kit-publish validate "$T/camp-link"

# Too large: the same problem, one class (invalid input, exit 1), whether
# the file is campaign.json, an overlay or about.md (campaign.json and
# overlays exited 3 as if unsafe, about.md 1).
for f in campaign.json offices/belgium.json about.md; do
	fresh && truncate -s 100G "$T/camp/$f"
	expect_exit 1 "a 100 GB $f: validate refuses it as invalid input (exit 1)" kit-publish validate "$T/camp"
	in_output "a 100 GB $f: the message says it is too large" "$f.* is 107374182400 bytes, larger than the [0-9]+ allowed"
done
# A media file may be a video of up to 256 MiB (a 200 MB one validates), not
# more (sparse files: only the size is looked at).
fresh && truncate -s 200M "$T/camp/media/together-square.png"
check "a 200 MiB media file validates" kit-publish validate "$T/camp"
fresh && truncate -s 257M "$T/camp/media/together-square.png"
expect_exit 1 "a 257 MiB media file does not" kit-publish validate "$T/camp"
in_output "the message names it and the limit" 'together-square.png" is larger than 256 MiB; make it smaller'
