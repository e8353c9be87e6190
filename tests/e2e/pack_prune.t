#!/usr/bin/env bash
# Pruning old versions also prunes the packs and indexes only they named
# (issue 18): a pack goes once no kept version of any kit (any campaign,
# the top-level targets and the offices' delegated roles, whole indexes and
# update indexes) names it, the catalog first, then the file.  A pack a
# kept version still names stays, and the kept versions install and update
# over nginx from the packs.  A pack left behind by a crash after the
# catalog was rewritten goes with the next prune; a catalog that still names
# a pack that is gone counts as empty, and the next publish stores the
# objects again.
. "$(dirname "$0")/lib.sh"
S="$KIT_SRC/tests/fixtures/servers"
PY=/usr/bin/python3
R="$T/repo"
KEYS="$T/keys"
C="$T/md"
G="$T/other"
cp -r "$KIT_SRC/campaigns/migrants-day-2021" "$C"
cp -r "$KIT_SRC/campaigns/together-2016" "$G"
rm "$G/offices/turkmenistan.json"
# a file of its own, so that this campaign's first pack is its alone
$PY -c 'import random,sys; random.seed(11); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(50000)))' >>"$G/media/together-square.png"
two_offices "$T/offices.jsonl"
pub() { kit-publish publish "$C" --repo "$R" --keys "$KEYS" --quiet; }
# post N: hungary's first post with correction N (the original text plus it)
post() { cp "$T/hungary.json.orig" "$C/offices/hungary.json" && correct_post "$C/offices/hungary.json" "$1"; }
packs() { (cd "$R/packs" && ls -- *.pack 2>/dev/null | sort); }
age() { find "$R" -type f -exec touch -d "@$(($(date +%s) - 2 * 86400))" {} +; }
# catalog_packs: the packs the catalog names, one a line
catalog_packs() { $PY -c 'import json,sys; print("\n".join(sorted(p + ".pack" for p in json.load(open(sys.argv[1]))["packs"])))' "$R/packs/catalog.json"; }
# catalog_and_hungary DESC VERSION: the catalog names only packs that are
# there (DESC), and hungary updates to VERSION and verifies
catalog_and_hungary() {
	local missing
	missing=$(catalog_packs | while read -r p; do [ -f "$R/packs/$p" ] || echo "$p"; done)
	[ -z "$missing" ] && ok "$1" || not_ok "$1" "$missing"
	check "hungary updates to $2" kit-fetch update --state "$H" --quiet
	check "and verifies" kit-fetch verify --state "$H" --quiet
}

check "a repository" kit-publish init --repo "$R" --keys "$KEYS" --quiet
check "the registry (delegated roles for belgium and hungary)" kit-publish office import "$T/offices.jsonl" --repo "$R" --keys "$KEYS" --quiet
check "version 1" pub
check "another campaign, published once" kit-publish publish "$G" --repo "$R" --keys "$KEYS" --quiet
P1=$(packs)
[ "$(echo "$P1" | wc -l)" = 2 ] && ok "two packs: one a campaign" || not_ok "two packs" "$P1"
# the other campaign's pack: the one its kits' index names
OTHER=$($PY -c 'import json,glob,sys
for f in glob.glob(sys.argv[1] + "/metadata/*.json"):
    for n, t in json.load(open(f))["signed"].get("targets", {}).items():
        if n.startswith("together-2016/") and "index" in t.get("custom", {}):
            print(json.load(open(sys.argv[1] + "/packs/" + t["custom"]["index"]["sha256"] + ".idx"))["packs"][0] + ".pack"); sys.exit()' "$R")
FIRST=$(echo "$P1" | grep -v "^$OTHER\$")

B="$T/belgium"
H="$T/hungary"
check "belgium installs version 1" kit-fetch init --state "$B" --root "$R/metadata/1.root.json" --url "file://$R" --office belgium --quiet
check "hungary installs version 1" kit-fetch init --state "$H" --root "$R/metadata/1.root.json" --url "file://$R" --office hungary --quiet
check "hungary's first install" kit-fetch update --state "$H" --quiet
check "belgium's first install" kit-fetch update --state "$B" --quiet

# version 2: one of hungary's posts corrected; version 3: the correction
# taken back, so that what version 2 added is named by version 2 alone
cp "$C/offices/hungary.json" "$T/hungary.json.orig"
post 1
check "version 2 (a post corrected)" pub
P2=$(comm -13 <(echo "$P1") <(packs))
[ "$(echo "$P2" | grep -c .)" = 1 ] && ok "version 2 added one pack" || not_ok "version 2 added one pack" "$P2"
check "hungary updates to version 2" kit-fetch update --state "$H" --quiet
cp -a "$H" "$T/hungary-v2"
cp "$T/hungary.json.orig" "$C/offices/hungary.json"
check "version 3 (the correction taken back)" pub
check "hungary updates to version 3" kit-fetch update --state "$H" --quiet
IDX_BEFORE=$(cd "$R/packs" && ls -- *.idx | sort)
check "a commit within the grace" kit-publish timestamp --repo "$R" --keys "$KEYS" --quiet
[ -f "$R/packs/$P2" ] && ok "version 2's pack stays while version 2 is kept" || not_ok "kept within grace"
cp "$R/packs/catalog.json" "$T/catalog.before"

# two days later, version 4: versions 1 and 2 leave, 3 and 4 are kept
age
post 2
check "version 4, two days later" kit-publish publish "$C" --repo "$R" --keys "$KEYS"
expect_msg "it says what it pruned" "pruned [0-9]+ files"
[ ! -e "$R/packs/$P2" ] && ok "the pack only version 2 named is gone" || not_ok "the pack only version 2 named is gone" "$(ls -l "$R/packs")"
if catalog_packs | grep -x "$P2" >/dev/null; then not_ok "the catalog no longer names it" "$(catalog_packs)"; else ok "the catalog no longer names it"; fi
missing=$(catalog_packs | while read -r p; do [ -f "$R/packs/$p" ] || echo "$p"; done)
[ -z "$missing" ] && ok "every pack the catalog names is there" || not_ok "every pack the catalog names is there" "$missing"
[ -f "$R/packs/$FIRST" ] && ok "the first pack stays: the kept versions 3 and 4 name it" || not_ok "the first pack stays" "$(ls -l "$R/packs")"
[ -f "$R/packs/$OTHER" ] && ok "the other campaign's pack stays: its only version is kept" || not_ok "the other campaign's pack stays"
# the indexes: those of versions 1 and 2 went, those kept metadata names stayed
read -r -d '' NAMED < <($PY -c 'import json,glob,os,sys
out = set()
for f in glob.glob(sys.argv[1] + "/metadata/*.json"):
    if f.endswith(("root.json", "snapshot.json", "timestamp.json")): continue
    for n, t in json.load(open(f))["signed"].get("targets", {}).items():
        ix = t.get("custom", {}).get("index")
        if ix:
            out.add(ix["sha256"] + ".idx")
            if "update" in ix: out.add(ix["update"]["sha256"] + ".idx")
print("\n".join(sorted(out)))' "$R") || true
IDX_AFTER=$(cd "$R/packs" && ls -- *.idx | sort)
unnamed=$(comm -23 <(echo "$IDX_AFTER") <(echo "$NAMED"))
lost=$(comm -13 <(echo "$IDX_AFTER") <(echo "$NAMED"))
[ -z "$unnamed" ] && [ -n "$(comm -23 <(echo "$IDX_BEFORE") <(echo "$IDX_AFTER"))" ] &&
	ok "the indexes only pruned versions named are gone" || not_ok "the indexes only pruned versions named are gone" "$unnamed"
[ -z "$lost" ] && ok "every index a kept version names is there" || not_ok "every index a kept version names is there" "$lost"

# the kept version installs and updates over nginx, from the packs
read -r hp _ < <(bash "$S/nginx.sh" start "$T/nginx" "$R" $$) || { not_ok "nginx starts"; exit 1; }
at_exit "bash '$S/nginx.sh' stop '$T/nginx'"
LOG="$T/nginx/logs/access.log"
since() { tail -n +"$(($1 + 1))" "$LOG"; }
url() { $PY - "$1/config.json" "http://127.0.0.1:$hp" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["url"] = sys.argv[2]
c["mirrors"] = []
json.dump(c, open(sys.argv[1], "w"))
PY
}
url "$H"
n=$(wc -l <"$LOG")
check "hungary (version 3, kept) updates to version 4 over nginx" kit-fetch update --state "$H"
expect_msg "from the packs" 'version 4 installed .*files kept from version 3'
since "$n" | grep -q '"GET /packs/[0-9a-f]*\.pack HTTP/1.1" 206' && ! since "$n" | grep -q '\.tar\.zst' &&
	ok "by range requests to the packs, no archive" || not_ok "by range requests to the packs, no archive" "$(since "$n")"
check "and verifies" kit-fetch verify --state "$H" --quiet
url "$T/hungary-v2"
check "an office still on the pruned version 2 updates too" kit-fetch update --state "$T/hungary-v2" --quiet
check "and verifies" kit-fetch verify --state "$T/hungary-v2" --quiet
F="$T/fresh"
check "a new hungary office" kit-fetch init --state "$F" --root "$R/metadata/1.root.json" --url "http://127.0.0.1:$hp" --office hungary --quiet
n=$(wc -l <"$LOG")
check "installs from the pruned repository" kit-fetch update --state "$F" --quiet
if [ -z "$(find "$R/targets" -name '*.tar.zst')" ]; then
	since "$n" | grep -q '"GET /packs/[0-9a-f]*\.pack HTTP/1.1" 206' && ! since "$n" | grep -q '\.tar\.zst' &&
		ok "from the packs (the repository has no archives)" || not_ok "from the packs" "$(since "$n")"
else
	ok "from the archive (this repository has archives)"
fi
check "and verifies" kit-fetch verify --state "$F" --quiet
[ "$(tree_hash "$F/kits/migrants-day-2021/current/")" = "$(tree_hash "$H/kits/migrants-day-2021/current/")" ] &&
	ok "the same kit as the update gives" || not_ok "the same kit as the update gives"
url "$B"
check "belgium updates from version 1 (pruned) to the kept version" kit-fetch update --state "$B" --quiet
check "and verifies" kit-fetch verify --state "$B" --quiet

# A crash after the catalog was rewritten, before the pack was unlinked:
# the pack nothing names is still there; the next prune removes it.
cp "$T/catalog.before" "$T/catalog.v3"
before=$(du -sb "$R/packs" | cut -f1)
age
post 3
check "version 5" pub
grew=$(($(du -sb "$R/packs" | cut -f1) - before))
[ "$grew" -lt 100000 ] && ok "version 5 stored only what changed ($grew bytes): the pruned catalog still counts" ||
	not_ok "version 5 stored only what changed" "packs/ grew by $grew bytes"
echo junk >"$R/packs/$P2" # what the crash left: a pack nothing names
age
post 4
check "version 6, two days later" pub
[ ! -e "$R/packs/$P2" ] && ok "the pack a crash left behind is pruned" || not_ok "the pack a crash left behind is pruned"
[ -f "$R/packs/$FIRST" ] && [ -f "$R/packs/$OTHER" ] && ok "the named packs stay" || not_ok "the named packs stay"

# A catalog that names a pack that is gone counts as empty: the next
# publish stores every object again, and the kits install.
cp "$T/catalog.v3" "$R/packs/catalog.json"
post 5
check "version 7, with a catalog naming a pack that is gone" pub
catalog_and_hungary "the catalog was written again, naming only packs that are there" "version 7"
check "the other campaign still installs" bash -c "kit-fetch init --state '$T/g' --root '$R/metadata/1.root.json' --url 'http://127.0.0.1:$hp' --office belgium --quiet && kit-fetch update --state '$T/g' --quiet && test -d '$T/g/kits/together-2016/current/media'"

# Two kit-publish runs at once (a publish and the daily timestamp timer,
# whose commit prunes): the second waits for the first.  Without a lock
# each wrote the next metadata version from what it had read: the slower
# publish failed half-way ("N.snapshot.json exists already") and left its
# targets version behind, so every later publish failed too, and the
# timer's pruning removed a pack the publish's new index reused.  The
# publish is slowed down by strace (a second before each rename).
age
post 6
# (LeakSanitizer does not work under ptrace)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -o /dev/null -e trace=rename -e inject=rename:delay_enter=1000000 \
	kit-publish publish "$C" --repo "$R" --keys "$KEYS" --quiet >"$T/slow.out" 2>&1 &
slow=$!
sleep 2
check "the timestamp timer during a slow publish" kit-publish timestamp --repo "$R" --keys "$KEYS" --quiet
# (the second to take the lock says so: the timer, unless the publish was slower to start)
grep -Eq 'another kit-publish is writing .*; waiting for it to finish' "$T/err" "$T/slow.out" &&
	ok "one of them waits for the other, and says so" || not_ok "one of them waits for the other, and says so" "$(cat "$T/err" "$T/slow.out")"
wait "$slow" && ok "the slow publish succeeds" || not_ok "the slow publish succeeds" "$(cat "$T/slow.out")"
post 7
check "and the next publish too" pub
catalog_and_hungary "the catalog names only packs that are there" "the newest version"
