#!/usr/bin/env bash
# Links planted in the state directory by another user.  kit-fetch runs as
# root; uid 65534 (nobody) plants a symbolic link or a hard link where
# kit-fetch writes, removes or reads (staging, kits, kits/<campaign>, its
# releases, metadata, downloads, a .part, the log, the lock), pointing at
# sentinels outside the state directory.  Every run must refuse with exit
# 5 and one line naming what it refused and why, with or without anything
# new in the repository, and leave every sentinel exactly as it was.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP planting as another user needs root"
	trap - EXIT; rm -rf "$T"; exit 0
fi
command -v setpriv >/dev/null || { not_ok "setpriv is installed (util-linux)"; exit 1; }
NOBODY=65534
as_nobody() { setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$@"; }
# nobody must reach the office below $T (root's, not writable by others)
chmod 0711 "$T"

check "publish version 1" new_repo repo
R="$T/repo"
S="$T/office"
check "an office with version 1 installed" sh -c "kit-fetch init --state '$S' --root '$R/metadata/1.root.json' --url 'file://$R' --office belgium >/dev/null && kit-fetch update --state '$S' -q"
K="$S/kits/together-2016"

# Sentinels outside the state directory: a directory only root can list
# (what the old clean-up emptied), one that nobody owns (where a planted
# link would make root write or trust files), and a file of nobody's that a
# hard link can reach.
mkdir -m 0700 "$T/secret" && echo "root only" >"$T/secret/keep" && mkdir "$T/secret/sub" && echo x >"$T/secret/sub/x"
mkdir "$T/trap" && cp -a "$S/metadata/." "$T/trap/" && cp -a "$K/releases" "$T/trap/releases-copy" && chown -R $NOBODY:$NOBODY "$T/trap"
echo "precious bytes of nobody's" >"$T/victim" && chown $NOBODY:$NOBODY "$T/victim"
sentinels() { (cd "$T" && find secret trap victim -printf '%p %U %m %s %T@\n' | sort && tree_hash secret && tree_hash trap && sha256sum victim); }
sentinels >"$T/sentinels.before"
same_sentinels() {
	if sentinels | cmp -s - "$T/sentinels.before"; then ok "$1: nothing outside the state directory changed"
	else not_ok "$1: nothing outside the state directory changed" "$(sentinels | diff "$T/sentinels.before" - | head -5)"; fi
}
one_line() {
	if [ "$(wc -l <"$T/err")" -eq 1 ]; then ok "$1: one line on stderr"
	else not_ok "$1: one line on stderr" "$(head -5 "$T/err")"; fi
}
kit_before=$(tree_hash "$K/current/")
same_kit() {
	[ "$(tree_hash "$K/current/")" = "$kit_before" ] && ok "$1: the installed kit is intact" || not_ok "$1: the installed kit is intact"
}

# plant PATH TARGET: nobody puts a symlink at PATH (its directory is open to
# nobody for that moment only, as by a mistake since put right)
plant() {
	local dir; dir=$(dirname "$1")
	chmod o+w "$dir" && as_nobody ln -s "$2" "$1"; local rc=$?
	chmod o-w "$dir"; return $rc
}

# attack NAME PATH TARGET: move the real PATH aside, plant the link, and run
# update with nothing new, then (version 2 published) with an install to do
attack() {
	local name=$1 path=$2 target=$3
	mv "$path" "$path.real" && plant "$path" "$target" || { not_ok "$name: planted"; return; }
	expect_exit 5 "$name: refused when nothing changed (exit 5)" kit-fetch update --state "$S"
	expect_msg "$name: the message names it and says why" "refusing .*$(basename "$path"): it is a symbolic link"
	one_line "$name"
	same_sentinels "$name, nothing changed"
	expect_exit 5 "$name: refused with a new version to install (exit 5)" kit-fetch update --state "$S" --from "$R2"
	same_sentinels "$name, a new version"
	rm "$path" && mv "$path.real" "$path"
	same_kit "$name"
}

# Version 2, published to a second repository so that version 1's stays
# unchanged ("nothing changed") and --from offers the install.
cp -a "$R" "$T/repo2" && cp -a "$T/repo-keys" "$T/repo2-keys"
R2="$T/repo2"
cp -a "$KIT_SRC/campaigns/together-2016" "$T/camp"
sed -i 's/"title": "TOGETHER/"title": "TOGETHER v2/' "$T/camp/campaign.json"
check "publish version 2 to a second repository" kit-publish publish "$T/camp" --repo "$R2" --keys "$T/repo2-keys" --quiet

attack "staging -> a directory only root can list" "$S/staging" "$T/secret"
attack "kits -> elsewhere" "$S/kits" "$T/trap"
attack "kits/<campaign> -> elsewhere" "$K" "$T/trap"
attack "kits/<campaign>/releases -> elsewhere" "$K/releases" "$T/trap/releases-copy"
attack "metadata -> a directory nobody controls" "$S/metadata" "$T/trap"
attack "downloads -> elsewhere" "$S/downloads" "$T/secret"

# A .part hard-linked to nobody's file: it would be truncated and written.
# (The update comes from the packs: the first file it downloads is the
# index of what its version lacks, named by the hash its signed target gives.)
sha=$($PY -c 'import json,sys,glob
t=json.load(open(sorted(glob.glob(sys.argv[1]+"/metadata/*.targets.json"), key=lambda p: int(p.rsplit("/",1)[1].split(".")[0]))[-1]))
ix=t["signed"]["targets"]["together-2016/belgium.idx"]["custom"]["index"]
print(ix.get("update", ix)["sha256"])' "$R2")
part="$S/downloads/$sha.idx.part"
chmod o+w "$S/downloads" && as_nobody ln "$T/victim" "$part"; chmod o-w "$S/downloads"
[ "$(stat -c %h "$T/victim")" = 2 ] && ok "nobody hard-linked its file as the next .part" || not_ok "nobody hard-linked its file as the next .part"
expect_exit 5 "a hard-linked .part is refused (exit 5)" kit-fetch update --state "$S" --from "$R2"
expect_msg "the message says it has two links" "\.part: it has 2 hard links"
same_sentinels "hard-linked .part"
same_kit "hard-linked .part"
rm -f "$part"

# The log and the lock are written in place too.
for f in log lock; do
	mv "$S/$f" "$S/$f.real"
	chmod o+w "$S" && as_nobody ln "$T/victim" "$S/$f"; chmod o-w "$S"
	expect_exit 5 "a hard-linked $f is refused (exit 5)" kit-fetch update --state "$S"
	expect_msg "the message names the $f" "/$f: it has 2 hard links"
	one_line "hard-linked $f"
	same_sentinels "hard-linked $f"
	rm "$S/$f" && mv "$S/$f.real" "$S/$f"
done

# The trusted root replaced by a link, a FIFO, a hard link to another
# file, or damaged: local state (exit 5) saying what was found and what to
# do, never "no trusted root", never bytes of a file not known to be ours.
mv "$S/metadata/root.json" "$S/root.json.real"
for kind in "a symbolic link" "not a regular file" "hard-linked to another file" damaged; do
	case $kind in
	"a symbolic link") ln -s "$T/victim" "$S/metadata/root.json" ;;
	"not a regular file") mkfifo "$S/metadata/root.json" ;;
	hard*) ln "$T/victim" "$S/metadata/root.json" ;;
	damaged) echo "not json at all" >"$S/metadata/root.json" ;;
	esac
	expect_exit 5 "a trusted root.json that is $kind is refused (exit 5)" timeout 20 kit-fetch update --state "$S"
	expect_msg "the message says the root is $kind and what to do" "metadata/root.json is $kind.*kit-fetch init --force"
	if [ "$(grep -vc '^kit-fetch: [0-9]* requests\?,' "$T/err")" -eq 1 ]; then ok "root.json $kind: one line on stderr (and the request count)"
	else not_ok "root.json $kind: one line on stderr (and the request count)" "$(head -5 "$T/err")"; fi
	if grep -q "precious\|not json" "$T/err" "$S/log"; then not_ok "root.json $kind: no bytes of it quoted" "$(cat "$T/err")"
	else ok "root.json $kind: no bytes of it quoted"; fi
	same_sentinels "root.json $kind"
	rm -f "$S/metadata/root.json"
done
mv "$S/root.json.real" "$S/metadata/root.json"

# A state directory another user can write to, or that another user owns,
# is refused before anything is read or written in it.
chmod 0777 "$S"
expect_exit 5 "a state directory writable by everyone is refused (exit 5)" kit-fetch update --state "$S"
expect_msg "the message says who can write to it" "writable by everyone.*chmod go-w"
chmod 0755 "$S"
chown $NOBODY "$S"
as_nobody rm -rf "$S/staging" && as_nobody ln -s "$T/secret" "$S/staging"
expect_exit 5 "a state directory owned by another user is refused (exit 5)" kit-fetch update --state "$S"
expect_msg "the message names the owner" "belongs to uid $NOBODY"
one_line "state directory of another user"
same_sentinels "state directory of another user"
rm "$S/staging" && mkdir "$S/staging" && chown root "$S"
chmod o+w "$T"
expect_exit 5 "a directory above the state writable by others is refused (exit 5)" kit-fetch update --state "$S"
expect_msg "the message names it" "$T above it is writable by others"
chmod o-w "$T"
ln -s "$S" "$T/office-link"
expect_exit 5 "a state directory given as a symlink is refused (exit 5)" kit-fetch update --state "$T/office-link"
expect_msg "the message says it is a link" "office-link: it is a symbolic link"

# init over a planted metadata link, and rollback through planted releases
mv "$S/metadata" "$S/metadata.real" && plant "$S/metadata" "$T/trap"
expect_exit 5 "init refuses a planted metadata link (exit 5)" kit-fetch init --state "$S" --root "$R/metadata/1.root.json" --url "file://$R" --office belgium --force
same_sentinels "init over metadata -> elsewhere"
rm "$S/metadata" && mv "$S/metadata.real" "$S/metadata"
# Links inside the office's own directories are removed, never followed.
ln -s "$T/secret" "$S/staging/left-behind" && mkdir "$S/staging/x" && ln -s "$T/secret" "$S/staging/x/deeper"
ln -s "$T/secret" "$K/releases/.old-1"
check "with links inside staging and releases, version 2 installs" kit-fetch update --state "$S" --from "$R2" -q
[ -z "$(ls -A "$S/staging")" ] && ok "staging was emptied of the links" || not_ok "staging was emptied of the links" "$(ls -A "$S/staging")"
[ ! -e "$K/releases/.old-1" ] && [ ! -L "$K/releases/.old-1" ] && ok "the leftover link in releases was removed" || not_ok "the leftover link in releases was removed"
same_sentinels "links inside staging and releases"
mv "$K/releases" "$K/releases.real" && plant "$K/releases" "$T/trap/releases-copy"
expect_exit 5 "rollback refuses planted releases (exit 5)" kit-fetch rollback --state "$S" together-2016
same_sentinels "rollback through releases -> elsewhere"
rm "$K/releases" && mv "$K/releases.real" "$K/releases"
check "rollback" kit-fetch rollback --state "$S" together-2016
check "kit-fetch verify" kit-fetch verify --state "$S"
check "kit-fetch status as nobody (read only)" as_nobody kit-fetch status --state "$S"
same_sentinels "the end"
