#!/usr/bin/env bash
# The attacks of the TUF threat model, each run against kit-fetch with real
# repositories written by kit-publish and served over file://:
#   arbitrary installation (bad signature, wrong key, too few signatures),
#   rollback (timestamp, snapshot, targets, kit version), indefinite freeze
#   (expired timestamp, targets, root), endless data (timestamp, snapshot,
#   target archive), mix-and-match (snapshot and targets from another
#   publication), root rotation with and without the old threshold, and
#   compromised timestamp and targets keys replaced by rotation.
# Every refusal: exit 3, a message naming the role or file and why, a
# "refused" line in <state>/log with that reason, the installed kit untouched.
# Each attack starts from a saved copy of the office's state, so one
# attack's (legitimately) updated trusted metadata does not hide another.
#
# Attacks that need an attacker holding some (not enough) keys re-sign
# metadata with the repository's own key files, in python3 (cryptography):
# that is the threat model (a stolen timestamp key must not allow a
# snapshot rollback, one targets key of two must not be enough, ...).
# shellcheck disable=SC2154 # PREFIX_* variables are set by info (eval)
. "$(dirname "$0")/lib.sh"

C="$KIT_SRC/campaigns/together-2016"
KIT=kits/together-2016/current

# --- tools -------------------------------------------------------------------
# tufedit FILE ACTION... [open FILE ACTION...]...: edit TUF metadata files;
# each file is written when the next is opened, and at the end.  Actions:
#   version N|+N    set (or raise) signed.version
#   meta NAME FILE  signed.meta[NAME] = version, length and sha256 of FILE
#   unsign          drop every signature
#   drop PEM        drop the signature by the key in PEM
#   keep N          keep only the first N signatures
#   flip            change one hex digit of the first signature
#   sign PEM        add an ed25519 signature over canonical JSON of signed
#   hash NAME ALG V set the hashes of target NAME to {ALG: V}
#   rename OLD NEW  rename target OLD
#   metalen NAME N  set signed.meta[NAME].length to N
#   length NAME N   set the length of target NAME to N
#   custom NAME K J set custom[K] of target NAME to the JSON value J
#   expires TIME    set signed.expires
#   save PATH       write to PATH instead of FILE
# tufedit info REPO PREFIX: shell assignments PREFIX_ts_v, _sn_v, _tg_v (the
#   versions timestamp.json leads to), _sn_f, _tg_f (their files), _ts_exp,
#   _tg_exp, _root_v, _root_exp (root.json's) and _bel (the Belgium kit's
#   .idx target file).
# (python3 starts slowly on a loaded machine: one start per step, not per value)
cat >"$T/tufedit.py" <<'EOF'
import hashlib, json, os, sys

def canon(x):
    return json.dumps(x, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")

def key(pem):
    from cryptography.hazmat.primitives import serialization
    k = serialization.load_pem_private_key(
        open(pem, "rb").read(), password=os.environ["KIT_PASSPHRASE"].encode())
    pub = k.public_key().public_bytes(serialization.Encoding.Raw,
                                      serialization.PublicFormat.Raw).hex()
    kid = hashlib.sha256(canon({"keytype": "ed25519", "keyval": {"public": pub},
                                "scheme": "ed25519"})).hexdigest()
    return k, kid

def load(p):
    return json.load(open(p, encoding="utf-8"))

def write(doc, out):
    open(out, "w", encoding="utf-8").write(
        json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")

a = sys.argv[1:]
if a[0] == "info":
    repo, px = a[1], a[2]
    md = repo + "/metadata/"
    ts = load(md + "timestamp.json")["signed"]
    sn_v = ts["meta"]["snapshot.json"]["version"]
    sn_f = "%s%d.snapshot.json" % (md, sn_v)
    tg_v = load(sn_f)["signed"]["meta"]["targets.json"]["version"]
    tg_f = "%s%d.targets.json" % (md, tg_v)
    tg = load(tg_f)["signed"]
    root = load(md + "root.json")["signed"]
    bel = tg["targets"]["together-2016/belgium.idx"]["hashes"]["sha256"]
    for k, v in (("ts_v", ts["version"]), ("sn_v", sn_v), ("tg_v", tg_v),
                 ("sn_f", sn_f), ("tg_f", tg_f), ("ts_exp", ts["expires"]),
                 ("tg_exp", tg["expires"]), ("root_v", root["version"]),
                 ("root_exp", root["expires"]),
                 ("bel", "%s/targets/together-2016/%s.belgium.idx" % (repo, bel))):
        print("%s_%s='%s'" % (px, k, v))
    sys.exit(0)

a.insert(0, "open")
doc = out = None
while a:
    op = a.pop(0)
    if op == "open":
        if doc is not None:
            write(doc, out)
        out = a.pop(0)
        doc = load(out)
        continue
    s = doc["signed"]
    if op == "version":
        v = a.pop(0)
        s["version"] = s["version"] + int(v[1:]) if v.startswith("+") else int(v)
    elif op == "meta":
        name, f = a.pop(0), a.pop(0)
        raw = open(f, "rb").read()
        s["meta"][name] = {"version": json.loads(raw)["signed"]["version"],
                           "length": len(raw),
                           "hashes": {"sha256": hashlib.sha256(raw).hexdigest()}}
    elif op == "unsign":
        doc["signatures"] = []
    elif op == "drop":
        kid = key(a.pop(0))[1]
        n = len(doc["signatures"])
        doc["signatures"] = [g for g in doc["signatures"] if g["keyid"] != kid]
        if len(doc["signatures"]) != n - 1:
            sys.exit("tufedit: no signature by %s in %s" % (kid, out))
    elif op == "keep":
        doc["signatures"] = doc["signatures"][:int(a.pop(0))]
    elif op == "flip":
        g = doc["signatures"][0]["sig"]
        doc["signatures"][0]["sig"] = ("1" if g[0] == "0" else "0") + g[1:]
    elif op == "sign":
        k, kid = key(a.pop(0))
        doc["signatures"].append({"keyid": kid, "sig": k.sign(canon(s)).hex()})
    elif op == "hash":
        name, alg, v = a.pop(0), a.pop(0), a.pop(0)
        s["targets"][name]["hashes"] = {alg: v}
    elif op == "rename":
        old, new = a.pop(0), a.pop(0)
        s["targets"][new] = s["targets"].pop(old)
    elif op == "custom":
        name, k, v = a.pop(0), a.pop(0), a.pop(0)
        s["targets"][name]["custom"][k] = json.loads(v)
    elif op == "expires":
        s["expires"] = a.pop(0)
    elif op == "length":
        name, n = a.pop(0), a.pop(0)
        s["targets"][name]["length"] = int(n)
    elif op == "metalen":
        name, n = a.pop(0), a.pop(0)
        s["meta"][name]["length"] = int(n)
    elif op == "save":
        out = a.pop(0)
    else:
        sys.exit("tufedit: unknown action " + op)
write(doc, out)
EOF
tufedit() { /usr/bin/python3 "$T/tufedit.py" "$@"; }
# info REPO PREFIX: the values of tufedit info as shell variables
info() {
	local v
	v=$(tufedit info "$1" "$2") && eval "$v"
}

# set_url STATE URL: point an office at another repository (as an attacker
# on the network, or a bad mirror, would)
set_url() {
	sed -i -E "s|\"url\": *\"[^\"]*\"|\"url\": \"$2\"|" "$1/config.json" &&
		grep -qF "\"url\": \"$2\"" "$1/config.json"
}

# new_version DEST SUFFIX: a copy of the campaign with SUFFIX added to its title
new_version() {
	rm -rf "$1" && cp -a "$C" "$1" &&
		sed -i -E "0,/\"title\": *\"[^\"]*/s//&$2/" "$1/campaign.json" &&
		grep -qF "$2\"" "$1/campaign.json"
}

# refused GOOD DESC REPO REGEX [PREFIX...]: restore the office from the saved
# state GOOD, point it at REPO, run PREFIX kit-fetch update, and check exit 3,
# the message, the log entry and the installed kit.
O="$T/office"
refused() {
	local good=$1 desc=$2 repo=$3 rx=$4 before lines last
	shift 4
	rm -rf "$O" && cp -a "$good" "$O" && set_url "$O" "file://$repo"
	before=$(tree_hash "$O/$KIT/")
	lines=$(wc -l <"$O/log")
	expect_exit 3 "$desc: refused (exit 3)" "$@" kit-fetch update --state "$O"
	echo "# $(grep -v '^kit-fetch: [0-9]* requests\?,' "$T/err" | tail -1)"
	expect_msg "$desc: the message says what and why" "$rx"
	last=$(tail -1 "$O/log")
	if [ "$(wc -l <"$O/log")" -gt "$lines" ] && echo "$last" | grep -q '"event":"refused"' &&
		echo "$last" | grep -Eq -- "$rx"; then
		ok "$desc: the refusal and its reason are in the log"
	else
		not_ok "$desc: the refusal and its reason are in the log" "last log line: $last"
	fi
	if [ "$(tree_hash "$O/$KIT/")" = "$before" ]; then ok "$desc: the installed kit is untouched"
	else not_ok "$desc: the installed kit is untouched"; fi
}

# accepted GOOD REPO DESC: the honest counterpart goes through (exit 0);
# the office is left in $O for further checks.
accepted() {
	rm -rf "$O" && cp -a "$1" "$O" && set_url "$O" "file://$2" &&
		check "$3" kit-fetch update --state "$O" --quiet
}

# --- the repositories and the offices that trust them -------------------------
K="$T/repo-keys"
R="$T/repo"
check "kit-publish init and publish the TOGETHER kit (version 1)" new_repo repo
cp -a "$R" "$T/repo-v1"
check "kit-fetch init (Belgium office)" \
	kit-fetch init --state "$O" --root "$R/metadata/1.root.json" --url "file://$R" --office belgium
check "kit-fetch update installs version 1" kit-fetch update --state "$O" --quiet
new_version "$T/camp2" " (v2)"
new_version "$T/camp3" " (v3)"
new_version "$T/camp3b" " (w3)"   # same length: only the hashes differ
check "kit-publish publish version 2" kit-publish publish "$T/camp2" --repo "$R" --keys "$K" --quiet
check "kit-fetch update installs version 2" kit-fetch update --state "$O" --quiet
if grep -q '"version": 2' "$O/$KIT/manifest.json"; then ok "version 2 is installed"
else not_ok "version 2 is installed"; fi
GOOD="$T/office.good"
cp -a "$O" "$GOOD"
info "$R" r   # what the office trusts now

# Version 3, published honestly (Rn), and a rival version 3 from the same
# keys (Rb) for mix-and-match.
Rn="$T/repo-v3"
Rb="$T/repo-v3b"
cp -a "$R" "$Rn"
cp -a "$R" "$Rb"
check "kit-publish publish version 3" kit-publish publish "$T/camp3" --repo "$Rn" --keys "$K" --quiet
check "kit-publish publish a rival version 3" kit-publish publish "$T/camp3b" --repo "$Rb" --keys "$K" --quiet
info "$Rn" n

# A repository whose roles need 2 signatures of 2 keys each, and its office.
KT="$T/rt-keys"
RT="$T/rt"
check "kit-publish init with 2-of-2 keys for every role" \
	kit-publish init --repo "$RT" --keys "$KT" --quiet \
	--root-keys 2 --root-threshold 2 --targets-keys 2 --targets-threshold 2 \
	--snapshot-keys 2 --snapshot-threshold 2 --timestamp-keys 2 --timestamp-threshold 2
check "kit-publish publish version 1 (2-of-2)" kit-publish publish "$C" --repo "$RT" --keys "$KT" --quiet
GOODT="$T/office-rt"
check "kit-fetch init (office of the 2-of-2 repository)" \
	kit-fetch init --state "$GOODT" --root "$RT/metadata/1.root.json" --url "file://$RT" --office belgium
check "kit-fetch update installs version 1 (2-of-2)" kit-fetch update --state "$GOODT" --quiet
RTn="$T/rt-v2"
cp -a "$RT" "$RTn"
check "kit-publish publish version 2 (2-of-2)" kit-publish publish "$T/camp2" --repo "$RTn" --keys "$KT" --quiet
info "$RTn" t

# --- arbitrary installation ---------------------------------------------------
A="$T/a-badsig"
cp -a "$Rn" "$A"
tufedit "$A/metadata/timestamp.json" flip
refused "$GOOD" "version 3 with a changed timestamp signature" "$A" \
	'timestamp metadata timestamp.json: 0 valid signatures by timestamp keys.*1 invalid.*not signed by the keys'

A="$T/a-wrongkey"
cp -a "$Rn" "$A"
tufedit "$A/metadata/timestamp.json" unsign sign "$K/snapshot-1.pem"
refused "$GOOD" "a timestamp signed by the snapshot key (wrong key for the role)" "$A" \
	'timestamp metadata timestamp.json: 0 valid signatures by timestamp keys.*not signed by the keys the trusted root names for timestamp'

refused "$GOOD" "a repository signed by other keys (wrong key)" "$RT" \
	'timestamp metadata timestamp.json: 0 valid signatures by timestamp keys.*not signed by the keys the trusted root names for timestamp'

A="$T/a-ts-1of2"
cp -a "$RTn" "$A"
tufedit "$A/metadata/timestamp.json" keep 1
refused "$GOODT" "a timestamp with 1 of the 2 signatures its threshold needs" "$A" \
	'timestamp metadata timestamp.json: 1 valid signature by timestamp keys, threshold 2 required'

# The attacker holds both snapshot and timestamp keys but one targets key.
A="$T/a-tg-1of2"
cp -a "$RTn" "$A"
tufedit "${t_tg_f/$RTn/$A}" keep 1 \
	open "${t_sn_f/$RTn/$A}" meta targets.json "${t_tg_f/$RTn/$A}" unsign \
	sign "$KT/snapshot-1.pem" sign "$KT/snapshot-2.pem" \
	open "$A/metadata/timestamp.json" meta snapshot.json "${t_sn_f/$RTn/$A}" unsign \
	sign "$KT/timestamp-1.pem" sign "$KT/timestamp-2.pem"
refused "$GOODT" "targets with 1 of the 2 signatures its threshold needs" "$A" \
	'targets metadata [0-9]+\.targets\.json: 1 valid signature by targets keys, threshold 2 required'

# --- rollback -----------------------------------------------------------------
refused "$GOOD" "the timestamp of version 1 (older than the trusted one)" "$T/repo-v1" \
	'timestamp.*older than the trusted.*rollback'

# A stolen timestamp key: a new timestamp naming the old snapshot.
A="$T/a-rb-snapshot"
cp -a "$T/repo-v1" "$A"
tufedit "$A/metadata/timestamp.json" version $((r_ts_v + 1)) unsign sign "$K/timestamp-1.pem"
refused "$GOOD" "a new timestamp naming an older snapshot (timestamp key stolen)" "$A" \
	'snapshot version [0-9]+ is older than the trusted [0-9]+.*rollback'

# Stolen timestamp and snapshot keys: a new snapshot naming old targets.
A="$T/a-rb-targets"
cp -a "$T/repo-v1" "$A"
info "$A" a
s="$A/metadata/$((r_sn_v + 1)).snapshot.json"
tufedit "$a_sn_f" version $((r_sn_v + 1)) unsign sign "$K/snapshot-1.pem" save "$s" \
	open "$A/metadata/timestamp.json" version $((r_ts_v + 1)) meta snapshot.json "$s" \
	unsign sign "$K/timestamp-1.pem"
refused "$GOOD" "a new snapshot naming older targets (snapshot and timestamp keys stolen)" "$A" \
	'snapshot.*targets.json version [0-9]+, older than the trusted [0-9]+.*rollback'

# Stolen timestamp, snapshot and targets keys: new metadata naming the
# version 1 archive; kit-fetch still refuses to go back from version 2.
A="$T/a-rb-kit"
cp -a "$T/repo-v1" "$A"
f="$A/metadata/$((r_tg_v + 1)).targets.json"
s="$A/metadata/$((r_sn_v + 1)).snapshot.json"
tufedit "$a_tg_f" version $((r_tg_v + 1)) unsign sign "$K/targets-1.pem" save "$f" \
	open "$a_sn_f" version $((r_sn_v + 1)) meta targets.json "$f" unsign \
	sign "$K/snapshot-1.pem" save "$s" \
	open "$A/metadata/timestamp.json" version $((r_ts_v + 1)) meta snapshot.json "$s" \
	unsign sign "$K/timestamp-1.pem"
refused "$GOOD" "new signed metadata offering kit version 1 after version 2" "$A" \
	'together-2016.*version 1, older than the installed 2.*rollback'

# --- indefinite freeze --------------------------------------------------------
now=$(date -u +%s)
at() { date -u -d "@$((now + $1))" +%Y-%m-%dT%H:%M:%SZ; }
clock=$(at $((2 * 86400)))
refused "$GOOD" "the same repository two days later (timestamp expired)" "$R" \
	"timestamp.*expired at $r_ts_exp.*clock.*$clock" env KIT_TEST_NOW="$clock"

# A new version whose targets expire after a day while timestamp and
# snapshot are good for a week.
A="$T/a-freeze-targets"
cp -a "$R" "$A"
cp -a "$K" "$T/freeze-keys"
check "kit-publish publish version 3 with targets=1d" kit-publish publish "$T/camp3" \
	--repo "$A" --keys "$T/freeze-keys" --quiet --expires timestamp=7d,snapshot=7d,targets=1d
info "$A" f
refused "$GOOD" "version 3 two days later (targets expired, timestamp valid)" "$A" \
	"targets.*expired at $f_tg_exp.*clock.*$clock" env KIT_TEST_NOW="$clock"

clock=$(at $((400 * 86400)))
refused "$GOOD" "the same repository 400 days later (root expired)" "$R" \
	"root.*expired at $r_root_exp.*clock.*$clock" env KIT_TEST_NOW="$clock"

# --- endless data ---------------------------------------------------------------
A="$T/a-endless-ts"
cp -a "$Rn" "$A"
head -c 20000 /dev/zero | tr '\0' ' ' >>"$A/metadata/timestamp.json"
refused "$GOOD" "a timestamp.json of 20 KB (limit 16 KiB)" "$A" \
	'metadata/timestamp.json .*larger than the 16384 bytes .*endless data'

A="$T/a-endless-snapshot"
cp -a "$Rn" "$A"
len=$(stat -c %s "$n_sn_f")
head -c 100000 /dev/zero | tr '\0' ' ' >>"${n_sn_f/$Rn/$A}"
refused "$GOOD" "a snapshot longer than the timestamp says" "$A" \
	"metadata/$(basename "$n_sn_f") .*larger than the $len bytes .*endless data"

A="$T/a-endless-index"
cp -a "$Rn" "$A"
# the kit's index and the index of what version 2 lacks, each with a MB
# more (delta.t sends more than a pack's range)
for f in "${n_bel/$Rn/$A}" "$A"/packs/*.idx; do head -c 1000000 /dev/zero >>"$f"; done
refused "$GOOD" "a version 3 index longer than its signed length" "$A" \
	"\.idx from .*larger than the [0-9]+ bytes .*endless data"

# The archive itself, published with --archives (the same version 3), in a
# copy without packs so that the update takes the archive.
A="$T/a-endless-target"
cp -a "$Rn" "$A"
cp -a "$K" "$T/archive-keys"
check "kit-publish publish version 3 again with --archives" kit-publish publish "$T/camp3" --repo "$A" --keys "$T/archive-keys" --archives --quiet
rm -rf "$A/packs"
arch=$(ls "$A"/targets/together-2016/*.belgium.tar.zst)
len=$(stat -c %s "$arch")
head -c 1000000 /dev/zero >>"$arch"
refused "$GOOD" "a version 3 archive longer than its signed length" "$A" \
	"$(basename "$arch") .*larger than the $len bytes .*endless data"

# --- mix-and-match ----------------------------------------------------------------
A="$T/a-mix-targets"
cp -a "$Rn" "$A"
cp "${n_tg_f/$Rn/$Rb}" "${n_tg_f/$Rn/$A}"
refused "$GOOD" "the snapshot of one publication with the targets of another" "$A" \
	"targets metadata $(basename "$n_tg_f") has SHA-256 [0-9a-f]{64} but the trusted snapshot.json says [0-9a-f]{64}; refused \(mix-and-match"

A="$T/a-mix-snapshot"
cp -a "$Rn" "$A"
cp "${n_sn_f/$Rn/$Rb}" "${n_sn_f/$Rn/$A}"
refused "$GOOD" "the timestamp of one publication with the snapshot of another" "$A" \
	"snapshot metadata $(basename "$n_sn_f") has SHA-256 [0-9a-f]{64} but the trusted timestamp.json says [0-9a-f]{64}; refused \(mix-and-match"

# --- the publisher's own repository, re-signed with its keys ---------------------
# A kit version the next cannot follow: INT_MAX overflowed (old + 1) and
# 2^32 + 1 was truncated to 1; kit-publish refuses both, changing nothing.
for v in 2147483647 4294967297; do
	A="$T/a-pub-v$v"
	cp -a "$R" "$A"
	info "$A" p
	tufedit "$p_tg_f" custom together-2016/global.idx version "$v" unsign sign "$K/targets-1.pem" \
		open "$p_sn_f" meta targets.json "$p_tg_f" unsign sign "$K/snapshot-1.pem" \
		open "$A/metadata/timestamp.json" meta snapshot.json "$p_sn_f" unsign sign "$K/timestamp-1.pem"
	before=$(tree_hash "$A")
	expect_exit 1 "kit-publish publish over a global kit of version $v: refused (exit 1)" \
		kit-publish publish "$T/camp3" --repo "$A" --keys "$K" --quiet
	expect_msg "the message names the target and its version $v" \
		"together-2016/global.idx in the repository has custom.version $v, which no next version can follow"
	if [ "$(tree_hash "$A")" = "$before" ]; then ok "the repository is unchanged (version $v)"
	else not_ok "the repository is unchanged (version $v)"; fi
done

# --- root rotation ------------------------------------------------------------------
Rr="$T/repo-rotated"
cp -a "$R" "$Rr"
cp -a "$K" "$T/rotated-keys"
check "kit-publish rotate --role root" kit-publish rotate --role root --repo "$Rr" --keys "$T/rotated-keys" --quiet
if accepted "$GOOD" "$Rr" "the office follows the root rotation signed by the old and new keys"; then
	grep -Eq '"version": *2([^0-9]|$)' "$O/metadata/root.json" && ok "the office trusts root version 2" ||
		not_ok "the office trusts root version 2"
fi

A="$T/a-root-newkeys"
cp -a "$Rr" "$A"
tufedit "$A/metadata/2.root.json" drop "$K/root-1.pem"
refused "$GOOD" "root version 2 signed by its new key only (not by the old root key)" "$A" \
	'root rotation to version 2 is not signed by the threshold of the trusted root version 1: .*0 valid signatures by root keys, threshold 1'
grep -Eq '"version": *1([^0-9]|$)' "$O/metadata/root.json" && ok "the office still trusts root version 1" ||
	not_ok "the office still trusts root version 1"

cp -a "$KT" "$T/rt-rotated-keys"
RTr="$T/rt-rotated"
cp -a "$RT" "$RTr"
check "kit-publish rotate --role root (2-of-2)" kit-publish rotate --role root --repo "$RTr" --keys "$T/rt-rotated-keys" --quiet
if accepted "$GOODT" "$RTr" "the 2-of-2 office follows the root rotation"; then
	grep -Eq '"version": *2([^0-9]|$)' "$O/metadata/root.json" && ok "the 2-of-2 office trusts root version 2" ||
		not_ok "the 2-of-2 office trusts root version 2"
fi
A="$T/a-root-1of2"
cp -a "$RTr" "$A"
tufedit "$A/metadata/2.root.json" drop "$KT/root-2.pem"
refused "$GOODT" "root version 2 with 1 of the 2 old root signatures" "$A" \
	'root rotation to version 2 is not signed by the threshold of the trusted root version 1: .*1 valid signature by root keys, threshold 2'
grep -Eq '"version": *1([^0-9]|$)' "$O/metadata/root.json" && ok "the 2-of-2 office still trusts root version 1" ||
	not_ok "the 2-of-2 office still trusts root version 1"

# A next root that is not metadata at all: a captive portal, a broken mirror
# or a man in the middle on plain http answers 2.root.json with an HTML
# page.  Refused (it used to crash kit-fetch with a double free, before any
# log line or status was written).
A="$T/a-root-html"
cp -a "$Rn" "$A"
printf '<!DOCTYPE html>\n<html><body>Sign in to the guest network</body></html>\n' >"$A/metadata/2.root.json"
refused "$GOOD" "an HTML page served as the next root (2.root.json)" "$A" \
	'root metadata 2.root.json is not valid JSON.*refused'
if grep -q '"result": "failed"' "$O/status.json" && grep -q '"exit": 3' "$O/status.json" &&
	grep -q '2.root.json is not valid JSON' "$O/status.json"; then
	ok "status.json records the refused update and why"
else
	not_ok "status.json records the refused update and why" "$(cat "$O/status.json")"
fi
grep -Eq '"version": *1([^0-9]|$)' "$O/metadata/root.json" && ok "the office still trusts root version 1 after the HTML page" ||
	not_ok "the office still trusts root version 1 after the HTML page"

# --- names and hashes from signed metadata used as paths -------------------------
# A holder of the targets key (or, with delegations, an office's key) signs
# names and hashes that would make paths outside the state directory.  The
# hash "../../././...vict" (64 characters, like a SHA-256) would make the
# index's download path <state>/downloads/../../vict.idx,
# which is $T/vict...: a file there must survive, and nothing new may appear
# outside the office's state directory.
# evil_targets DIR EDIT...: the newest targets of the repository copy DIR
# changed by the tufedit EDITs, re-signed as a new version with new
# snapshot and timestamp (the attacker holds all three online keys).
evil_targets() {
	local a=$1 f s
	shift
	info "$a" e || return 1
	f="$a/metadata/$((e_tg_v + 1)).targets.json"
	s="$a/metadata/$((e_sn_v + 1)).snapshot.json"
	tufedit "$e_tg_f" version +1 "$@" unsign sign "$K/targets-1.pem" save "$f" \
		open "$e_sn_f" version +1 meta targets.json "$f" unsign sign "$K/snapshot-1.pem" save "$s" \
		open "$a/metadata/timestamp.json" version +1 meta snapshot.json "$s" \
		unsign sign "$K/timestamp-1.pem"
}
VICTIM="$T/vict.idx"
outside() { find "$T" -path "$O" -prune -o ! -path "$T" ! -path "$T/err" ! -path "$T/out" -print | sort; }
# refused_outside DESC REPO REGEX: refused as by refused, and nothing outside
# the state directory touched
refused_outside() {
	local outside_before
	echo "not yours" >"$VICTIM"
	outside_before=$(outside)
	refused "$GOOD" "$@"
	if [ "$(cat "$VICTIM" 2>/dev/null)" = "not yours" ] && [ "$(outside)" = "$outside_before" ]; then
		ok "$1: nothing outside the state directory changed"
	else
		not_ok "$1: nothing outside the state directory changed" "victim: $(cat "$VICTIM" 2>&1)" \
			"$(diff <(echo "$outside_before") <(outside))"
	fi
}
dots="../../$(printf './%.0s' $(seq 27))vict"
A="$T/a-hash-path"
cp -a "$Rn" "$A"
evil_targets "$A" hash together-2016/belgium.idx sha256 "$dots"
refused_outside "a signed target whose sha256 is $dots" "$A" \
	'targets metadata [0-9]+\.targets\.json: target .{1,2}together-2016/belgium\.idx.{1,2} sha256 is not 64 lower-case hex digits'

A="$T/a-hash-upper"
cp -a "$Rn" "$A"
evil_targets "$A" hash together-2016/belgium.idx sha256 "$(basename "$n_bel" | cut -c1-64 | tr a-f A-F)"
refused_outside "a signed target whose sha256 is in upper case" "$A" \
	'target .{1,2}together-2016/belgium\.idx.{1,2} sha256 is not 64 lower-case hex digits'

for evil in "together-2016/../../../vict/belgium.idx" "/together-2016/belgium.idx" "together-2016//belgium.idx"; do
	A="$T/a-name-$(echo "$evil" | tr -c 'a-z0-9\n' _)"
	cp -a "$Rn" "$A"
	evil_targets "$A" rename together-2016/belgium.idx "$evil"
	refused_outside "a signed target named $evil" "$A" \
		"target .{1,2}$evil.{1,2}: the name is not a safe relative path"
done

# A kit version that does not fit: 2^32 + 1 was read as version 1.
for v in 4294967297 0 -3 '"3"'; do
	A="$T/a-custom-version-$(echo "$v" | tr -c '0-9\n' _)"
	cp -a "$Rn" "$A"
	evil_targets "$A" custom together-2016/belgium.idx version "$v"
	refused_outside "a signed target whose custom.version is $v" "$A" \
		'target together-2016/belgium\.idx: custom\.version is not a kit version'
done

# A target meant for this office (custom.office, or the file name
# belgium.idx) whose custom.campaign or custom.office is not an id: a
# refusal, not a fallback to the global kit (which overwrote releases/1
# with the global kit of the same version number, exit 0).
for edit in 'campaign "../x"' 'office "../belgium"' 'campaign 7'; do
	A="$T/a-custom-$(echo "$edit" | tr -c 'a-z0-9\n' _)"
	cp -a "$Rn" "$A"
	evil_targets "$A" custom together-2016/belgium.idx version 2 \
		custom together-2016/belgium.idx $edit
	refused_outside "a signed belgium target whose custom.$edit" "$A" \
		'target .{1,2}together-2016/belgium\.idx.{1,2} for office belgium: custom\.campaign and custom\.office are not both valid ids'
done

# A signed length no office could store (2^62), or over what this office
# unpacks (--max-unpacked): a refusal before any download, not four
# transport retries ending in "ended after N of 4611686018427387904 bytes".
A="$T/a-length-huge"
cp -a "$Rn" "$A"
evil_targets "$A" custom together-2016/belgium.idx version 2 length together-2016/belgium.idx 4611686018427387904
refused_outside "a signed target whose length is 2^62" "$A" \
	'target together-2016/belgium\.idx lists a length of 4611686018427387904 bytes, more than this office unpacks'
if [ "$(grep -vc '^kit-fetch: [0-9]* requests\?,' "$T/err")" -eq 1 ]; then ok "a length of 2^62: one line on stderr, no retries"
else not_ok "a length of 2^62: one line on stderr, no retries" "$(head -6 "$T/err")"; fi

# A kit's .idx target is its index, read whole into memory: its signed
# length is held to what an index may have (32 MiB), not to what the kit
# unpacks to (a 200 MiB index padded with spaces was fetched, read and
# installed; 4 GiB filled downloads/ and memory).
A="$T/a-idx-huge"
cp -a "$Rn" "$A"
big="$A/big.idx"
cp "${n_bel/$Rn/$A}" "$big" && head -c $((33 << 20)) /dev/zero | tr '\0' ' ' >>"$big"
bsha=$(sha256sum "$big" | cut -c1-64)
mv "$big" "$A/targets/together-2016/$bsha.belgium.idx"
evil_targets "$A" hash together-2016/belgium.idx sha256 "$bsha" length together-2016/belgium.idx $(((33 << 20) + $(stat -c %s "$n_bel"))) \
	custom together-2016/belgium.idx index "{\"sha256\": \"$bsha\", \"length\": $(((33 << 20) + $(stat -c %s "$n_bel")))}"
refused_outside "a signed .idx target of 33 MiB" "$A" \
	'target together-2016/belgium\.idx lists a length of [0-9]+ bytes, more than the 33554432 bytes a kit.s index may have'
if [ -z "$(ls "$O/downloads")" ]; then ok "a .idx target of 33 MiB: nothing was downloaded"
else not_ok "a .idx target of 33 MiB: nothing was downloaded" "$(ls -l "$O/downloads")"; fi
rm -rf "$A"

# A timestamp (signed with the timestamp key) that lists a length of 0 for
# the snapshot: a refusal (exit 3), not an internal error.
A="$T/a-ts-zero"
cp -a "$Rn" "$A"
tufedit "$A/metadata/timestamp.json" metalen snapshot.json 0 unsign sign "$K/timestamp-1.pem"
refused_outside "a timestamp that lists the snapshot with a length of 0" "$A" \
	'snapshot\.json.*length of 0'

# --- a stolen key replaced by rotation --------------------------------------------
# The publisher rotates the timestamp key; the thief of the old key keeps
# a copy of the repository and signs newer timestamps with it.
Rs="$T/repo-ts-rotated"
cp -a "$R" "$Rs"
cp -a "$K" "$T/ts-rotated-keys"
check "kit-publish rotate --role timestamp" kit-publish rotate --role timestamp --repo "$Rs" --keys "$T/ts-rotated-keys" --quiet
A="$T/a-stolen-ts"
cp -a "$R" "$A"
cp -a "$K" "$T/stolen-keys"
for i in 1 2 3; do
	kit-publish timestamp --repo "$A" --keys "$T/stolen-keys" --quiet || not_ok "the thief signs timestamp $i"
done
GOODS="$T/office.ts-rotated"
if accepted "$GOOD" "$Rs" "the office follows the timestamp key rotation"; then
	cp -a "$O" "$GOODS"
	refused "$GOODS" "a newer timestamp signed by the replaced timestamp key" "$A" \
		'timestamp metadata timestamp.json: 0 valid signatures by timestamp keys.*not signed by the keys the trusted root names for timestamp'
fi

# The same for the targets key: the thief publishes version 3 with it.
Rg="$T/repo-tg-rotated"
cp -a "$R" "$Rg"
cp -a "$K" "$T/tg-rotated-keys"
check "kit-publish rotate --role targets" kit-publish rotate --role targets --repo "$Rg" --keys "$T/tg-rotated-keys" --quiet
A="$T/a-stolen-tg"
cp -a "$R" "$A"
cp -a "$K" "$T/stolen-tg-keys"
check "the thief publishes version 3 with the replaced targets key" \
	kit-publish publish "$T/camp3" --repo "$A" --keys "$T/stolen-tg-keys" --quiet
# one more timestamp, so it is newer than the one the office trusts
check "the thief signs one more timestamp" kit-publish timestamp --repo "$A" --keys "$T/stolen-tg-keys" --quiet
# the thief also serves the rotated root chain (it is public)
cp "$Rg"/metadata/*.root.json "$A/metadata/"
info "$Rg" g
info "$A" s
# (the thief's targets has the version of the rotated one, 4, with other
# content: the snapshot's hash tells them apart, the signature refuses it)
if [ "$s_ts_v" -gt "$g_ts_v" ] && [ "$s_sn_v" -gt "$g_sn_v" ] && [ "$s_tg_v" -ge "$g_tg_v" ]; then
	ok "the thief's timestamp and snapshot are newer than the rotated repository's"
else
	not_ok "the thief's timestamp and snapshot are newer than the rotated repository's" \
		"thief $s_ts_v/$s_sn_v/$s_tg_v, publisher $g_ts_v/$g_sn_v/$g_tg_v"
fi
GOODG="$T/office.tg-rotated"
if accepted "$GOOD" "$Rg" "the office follows the targets key rotation"; then
	cp -a "$O" "$GOODG"
	refused "$GOODG" "version 3 signed by the replaced targets key" "$A" \
		'targets metadata [0-9]+\.targets\.json: 0 valid signatures by targets keys.*not signed by the keys the trusted root names for targets'
fi

# --- lazy root: an expired trusted root, a newer root, the same timestamp ---------
# kit-fetch skips the root chain walk while the server answers 304 to the
# validators of timestamp.json (one request per poll), but walks it when the trusted root has expired (and at
# least once a day): an office whose root expired while the publisher
# published a newer one, without a new timestamp, recovers.
KL="$T/lazy-keys"
RL="$T/lazy"
check "kit-publish init with a root that expires in 2 days" kit-publish init --repo "$RL" --keys "$KL" \
	--quiet --expires root=2d,targets=30d,snapshot=30d,timestamp=30d
check "kit-publish publish (the lazy repository)" kit-publish publish "$C" --repo "$RL" --keys "$KL" \
	--quiet --expires targets=30d,snapshot=30d,timestamp=30d
OL="$T/office-lazy"
check "kit-fetch init (office of the lazy repository)" \
	kit-fetch init --state "$OL" --root "$RL/metadata/1.root.json" --url "file://$RL" --office belgium
check "kit-fetch update (lazy repository)" kit-fetch update --state "$OL" --quiet
tufedit "$RL/metadata/1.root.json" version 2 expires "$(at $((400 * 86400)))" unsign \
	sign "$KL/root-1.pem" save "$RL/metadata/2.root.json"
clock=$(at $((3 * 86400)))
# the last walk an hour before that clock: only the expired root makes a walk due
at $((3 * 86400 - 3600)) >"$OL/metadata/last-root-walk"
expect_exit 0 "three days later, root 1 expired and root 2 published with the same timestamp: the office recovers" \
	env KIT_TEST_NOW="$clock" kit-fetch update --state "$OL"
grep -Eq '"version": *2([^0-9]|$)' "$OL/metadata/root.json" && ok "the office trusts root version 2" ||
	not_ok "the office trusts root version 2" "$(cat "$T/err")"
expect_exit 0 "the same repository again" env KIT_TEST_NOW="$clock" kit-fetch update --state "$OL"
# file:// has no validators: the same bytes prove nothing, so the root chain
# is probed as the specification orders (one request more than over HTTP,
# where a 304 does; validators.t and network.t count that one request)
expect_msg "an unchanged repository over file:// costs the root probe and the timestamp" '^kit-fetch: 2 requests,'

# --- the publisher side: too few keys to sign ------------------------------------
# One of the two targets keys is missing: kit-publish refuses to write
# targets metadata below the threshold, and the metadata stay as they were.
A="$T/rt-one-key"
cp -a "$RTn" "$A"
cp -a "$KT" "$T/rt-one-key-keys"
rm "$T/rt-one-key-keys/targets-2.pem"
before=$(tree_hash "$A/metadata")
before_targets=$(tree_hash "$A/targets")
expect_exit 3 "kit-publish with 1 of the 2 targets keys refuses to publish (exit 3)" \
	kit-publish publish "$T/camp3" --repo "$A" --keys "$T/rt-one-key-keys" --quiet
expect_msg "it says the targets threshold is not met" 'targets.*1 valid signature by targets keys, threshold 2 required'
[ "$(tree_hash "$A/metadata")" = "$before" ] && ok "the repository's metadata are unchanged" ||
	not_ok "the repository's metadata are unchanged"
[ "$(tree_hash "$A/targets")" = "$before_targets" ] && ok "no archive is left behind in targets/" ||
	not_ok "no archive is left behind in targets/" "$(cd "$A/targets" && find . -newer "$A/metadata/1.root.json" -type f | head -3)"

# --- and the honest version 3 goes through --------------------------------------
if accepted "$GOOD" "$Rn" "the honest version 3 installs after all these refusals"; then
	grep -q '"version": 3' "$O/$KIT/manifest.json" && ok "version 3 is installed" ||
		not_ok "version 3 is installed"
fi
