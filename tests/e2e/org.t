#!/usr/bin/env bash
# An organisation of offices (issue 17): the signed registry of offices
# (kit-publish office), kit-fetch checking --office against it with the
# close match, an office without an overlay getting its own zone.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
R="$T/repo"
KEYS="$T/repo-keys"
MD="$KIT_SRC/campaigns/migrants-day-2021"

check "a new repository" kit-publish init --repo "$R" --keys "$KEYS" --quiet

# --- the registry ----------------------------------------------------------------
expect_exit 1 "office add with a city for a zone is refused (exit 1)" \
	kit-publish office add kenya --name "IOM Kenya" --country Kenya --timezone Nairobi --languages sw,en --repo "$R" --keys "$KEYS"
expect_msg "naming the zone it means" "unknown time zone 'Nairobi'; did you mean Africa/Nairobi"
expect_exit 1 "an unknown language is refused" \
	kit-publish office add kenya --name "IOM Kenya" --country Kenya --timezone Africa/Nairobi --languages swa --repo "$R" --keys "$KEYS"
expect_exit 2 "office add without its fields is a usage error" kit-publish office add kenya --repo "$R" --keys "$KEYS"
check "office add kenya" kit-publish office add kenya --name "IOM Kenya" --country Kenya --timezone Africa/Nairobi --languages sw,en --repo "$R" --keys "$KEYS" --quiet
cat >"$T/offices.jsonl" <<'EOF'
{"id": "belgium", "name": "IOM Belgium and Luxembourg", "country": "Belgium", "timezone": "Europe/Brussels", "languages": ["fr", "nl", "en"]}
{"id": "hungary", "name": "IOM Hungary", "country": "Hungary", "timezone": "Europe/Budapest", "languages": ["hu", "en"]}
EOF
check "office import of JSON lines" kit-publish office import "$T/offices.jsonl" --repo "$R" --keys "$KEYS" --quiet
check "office list" kit-publish office list --repo "$R" --quiet
[ "$(cut -d' ' -f1 "$T/out" | tr '\n' ' ')" = "belgium hungary kenya " ] && ok "lists the three offices by id" || not_ok "lists the three offices" "$(cat "$T/out")"
check "office list --json" kit-publish office list --repo "$R" --json --quiet
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"] == 1 and [o["id"] for o in d["offices"]] == ["belgium","hungary","kenya"]; assert d["offices"][2]["timezone"] == "Africa/Nairobi"' "$T/out" &&
	ok "the registry as JSON" || not_ok "the registry as JSON" "$(head -5 "$T/out")"
v=$(ls "$R"/metadata/*.targets.json | wc -l)
check "importing the same offices again" kit-publish office import "$T/offices.jsonl" --repo "$R" --keys "$KEYS"
expect_msg "changes nothing" "unchanged"
[ "$(ls "$R"/metadata/*.targets.json | wc -l)" = "$v" ] && ok "and signs no new targets version" || not_ok "no new targets version"
expect_exit 1 "removing an office that is not there is refused" kit-publish office remove kenia --repo "$R" --keys "$KEYS"
expect_msg "with the close match" "did you mean kenya"

# An overlay for an office the registry does not list.
cp -r "$MD" "$T/md"
mv "$T/md/offices/hungary.json" "$T/md/offices/hungery.json"
sed -i 's/"id": "hungary"/"id": "hungery"/' "$T/md/offices/hungery.json"
expect_exit 1 "publish refuses an overlay for an unregistered office" kit-publish publish "$T/md" --repo "$R" --keys "$KEYS"
expect_msg "naming it and the close match" "offices/hungery.json: office 'hungery' is not in the organisation's registry; did you mean hungary"
[ "$(ls "$R"/metadata/*.targets.json | wc -l)" = "$v" ] && ok "and publishes nothing" || not_ok "published nothing"
check "publish migrants-day-2021 (overlays belgium and hungary)" kit-publish publish "$MD" --repo "$R" --keys "$KEYS" --quiet

# --- kit-fetch --office against the registry --------------------------------------
O="$T/office"
check "init --office kenia (a typo)" kit-fetch init --state "$O" --root "$R/metadata/1.root.json" --url "file://$R" --office kenia --quiet
expect_exit 2 "the first update refuses an office the registry does not list (exit 2)" kit-fetch update --state "$O"
expect_msg "with the close match and what to run" "office 'kenia' is not in the organisation's registry of 3 offices; did you mean kenya\\? set it with 'kit-fetch init"
[ -z "$(ls -A "$O/kits" 2>/dev/null)" ] && ok "and installs nothing (not the global kit)" || not_ok "installed nothing" "$(ls "$O/kits")"
expect_exit 2 "init --office kenia again is refused at once, the registry being known" \
	kit-fetch init --state "$O" --root "$R/metadata/1.root.json" --url "file://$R" --office kenia
expect_msg "with the close match" "did you mean kenya"
check "init --office kenya" kit-fetch init --state "$O" --root "$R/metadata/1.root.json" --url "file://$R" --office kenya --quiet
check "update" kit-fetch update --state "$O" --quiet
K="$O/kits/migrants-day-2021/current"
[ "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["office"])' "$K/manifest.json")" = global ] &&
	ok "kenya (no overlay) gets the global kit" || not_ok "kenya gets the global kit"

# --- an office without an overlay gets its own zone -------------------------------
check "kit-schedule table of kenya's kit" kit-schedule --kit "$K" table
grep -q "Times in Africa/Nairobi" "$T/out" && ok "in kenya's zone (from the registry)" || not_ok "in kenya's zone" "$(head -3 "$T/out")"
grep -A1 "Thursday 16 December 2021" "$T/out" | grep -q "10:00 EAT .*md21-x-en-1" &&
	ok "the floating 10:00 post is at 10:00 in Nairobi" || not_ok "floating post at 10:00 EAT" "$(grep -A1 Thursday "$T/out")"
grep -q "16:00 EAT .*md21-li-en-1" "$T/out" &&
	ok "a fixed instant stays one (14:00+01:00 is 16:00 EAT)" || not_ok "fixed instant" "$(grep md21-li "$T/out")"
check "kit-schedule ics" kit-schedule --kit "$K" ics
grep -q "DTSTART:20211216T070000Z" "$T/out" && ok "the .ics has the post at 07:00 UTC (10:00 EAT)" || not_ok "ics at 07:00Z" "$(grep DTSTART "$T/out" | head -3)"
rm "$O/kits/migrants-day-2021/office.json"
check "without the registry's entry" kit-schedule --kit "$K" table
grep -A1 "Thursday 16 December 2021" "$T/out" | grep -q "10:00 CET .*md21-x-en-1" &&
	ok "the global kit is in the campaign's zone (Europe/Zurich)" || not_ok "campaign zone" "$(head -6 "$T/out")"
check "the next update puts the entry back" kit-fetch update --state "$O" --quiet
[ -f "$O/kits/migrants-day-2021/office.json" ] && ok "office.json is beside the kit again" || not_ok "office.json back"

B="$T/belgium"
check "belgium (an overlay)" kit-fetch init --state "$B" --root "$R/metadata/1.root.json" --url "file://$R" --office belgium --quiet
check "updates" kit-fetch update --state "$B" --quiet
[ ! -e "$B/kits/migrants-day-2021/office.json" ] && ok "has its own kit and no office.json beside it" || not_ok "no office.json for an overlay kit"

# --- one delegated targets role per office -----------------------------------------
SN=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["signed"]["meta"]["snapshot.json"]["version"])' "$R/metadata/timestamp.json")
$PY - "$R" "$SN" <<'PYEOF' && ok "each registered office's kits are in its own role, delegated by the path patterns of its .idx and .tar.zst" || not_ok "office roles"
import json, sys
repo, sn = sys.argv[1], int(sys.argv[2])
snap = json.load(open("%s/metadata/%d.snapshot.json" % (repo, sn)))["signed"]["meta"]
tv = snap["targets.json"]["version"]
top = json.load(open("%s/metadata/%d.targets.json" % (repo, tv)))["signed"]
assert not [n for n in top["targets"] if n.endswith(("/belgium.idx", "/hungary.idx", "/belgium.tar.zst", "/hungary.tar.zst"))], top["targets"].keys()
assert "migrants-day-2021/global.idx" in top["targets"]
roles = {r["name"]: r for r in top["delegations"]["roles"]}
assert roles["belgium"]["paths"] == ["*/belgium.idx", "*/belgium.tar.zst"] and roles["belgium"]["terminating"], roles["belgium"]
assert snap["belgium.json"] == {"version": snap["belgium.json"]["version"]}, snap["belgium.json"]
bel = json.load(open("%s/metadata/%d.belgium.json" % (repo, snap["belgium.json"]["version"])))["signed"]
assert list(bel["targets"]) == ["migrants-day-2021/belgium.idx"], bel["targets"]
PYEOF
[ "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["office"])' "$B/kits/migrants-day-2021/current/manifest.json")" = belgium ] &&
	ok "belgium installs its own kit through its role" || not_ok "belgium's own kit"
[ -f "$B/metadata/belgium.json" ] && [ ! -e "$B/metadata/hungary.json" ] &&
	ok "and fetched its own role's metadata, no other office's" || not_ok "only its role" "$(ls "$B/metadata")"

# A key of the belgium role signs hungary's kit: refused, not ignored (exit 3).
H="$T/hungary"
check "hungary" kit-fetch init --state "$H" --root "$R/metadata/1.root.json" --url "file://$R" --office hungary --quiet
check "updates" kit-fetch update --state "$H" --quiet
cp -a "$R" "$T/evil"
$PY - "$T/evil" "$KEYS" <<'PYEOF' || not_ok "the evil repository is written"
import hashlib, json, os, sys
from cryptography.hazmat.primitives import serialization
repo, keys = sys.argv[1], sys.argv[2]
md = repo + "/metadata/"
def canon(x): return json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
def sign(doc, pem):
    k = serialization.load_pem_private_key(open(pem, "rb").read(), password=os.environ["KIT_PASSPHRASE"].encode())
    pub = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    kid = hashlib.sha256(canon({"keytype": "ed25519", "keyval": {"public": pub}, "scheme": "ed25519"})).hexdigest()
    doc["signatures"] = [{"keyid": kid, "sig": k.sign(canon(doc["signed"])).hex()}]
def put(doc, name):
    raw = (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    open(md + name, "wb").write(raw)
    return raw
ts = json.load(open(md + "timestamp.json"))
sv = ts["signed"]["meta"]["snapshot.json"]["version"]
snap = json.load(open("%s%d.snapshot.json" % (md, sv)))
bv, hv = snap["signed"]["meta"]["belgium.json"]["version"], snap["signed"]["meta"]["hungary.json"]["version"]
bel = json.load(open("%s%d.belgium.json" % (md, bv)))
hun = json.load(open("%s%d.hungary.json" % (md, hv)))
bel["signed"]["targets"]["migrants-day-2021/hungary.idx"] = hun["signed"]["targets"]["migrants-day-2021/hungary.idx"]
bel["signed"]["version"] = bv + 1
sign(bel, keys + "/offices-1.pem")
put(bel, "%d.belgium.json" % (bv + 1))
snap["signed"]["meta"]["belgium.json"] = {"version": bv + 1}
snap["signed"]["version"] = sv + 1
sign(snap, keys + "/snapshot-1.pem")
raw = put(snap, "%d.snapshot.json" % (sv + 1))
ts["signed"]["meta"]["snapshot.json"] = {"version": sv + 1, "length": len(raw), "hashes": {"sha256": hashlib.sha256(raw).hexdigest()}}
ts["signed"]["version"] += 1
sign(ts, keys + "/timestamp-1.pem")
put(ts, "timestamp.json")
PYEOF
before=$(tree_hash "$B/kits")
expect_exit 3 "belgium's role signing outside its paths is refused (exit 3)" kit-fetch update --state "$B" --from "$T/evil"
expect_msg "naming the role and the target" "delegated role \"belgium\" signs target \"migrants-day-2021/hungary.idx\", outside the paths its delegation by \"targets\" allows; refused"
[ "$(tree_hash "$B/kits")" = "$before" ] && ok "belgium's installed kit is untouched" || not_ok "belgium untouched"

# --- a delegation from before kits were .idx targets -------------------------------
# A repository whose belgium role was delegated with the archive's pattern
# only (*/belgium.tar.zst) and lists belgium's kit as an archive: HQ's next
# publish of belgium's kit delegates both names again, puts the kit in the
# role as its .idx (the stale archive leaves), and the office installs it
# through the role.
O2="$T/old"
cp -a "$R" "$O2"
$PY - "$O2" "$KEYS" <<'PYEOF' || not_ok "the repository from before is written"
import hashlib, json, os, shutil, sys
from cryptography.hazmat.primitives import serialization
repo, keys = sys.argv[1], sys.argv[2]
md = repo + "/metadata/"
def canon(x): return json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
def sign(doc, pem):
    k = serialization.load_pem_private_key(open(pem, "rb").read(), password=os.environ["KIT_PASSPHRASE"].encode())
    pub = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    kid = hashlib.sha256(canon({"keytype": "ed25519", "keyval": {"public": pub}, "scheme": "ed25519"})).hexdigest()
    doc["signatures"] = [{"keyid": kid, "sig": k.sign(canon(doc["signed"])).hex()}]
def put(doc, name):
    raw = (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    open(md + name, "wb").write(raw)
    return raw
ts = json.load(open(md + "timestamp.json"))
sv = ts["signed"]["meta"]["snapshot.json"]["version"]
snap = json.load(open("%s%d.snapshot.json" % (md, sv)))
tv, bv = snap["signed"]["meta"]["targets.json"]["version"], snap["signed"]["meta"]["belgium.json"]["version"]
top = json.load(open("%s%d.targets.json" % (md, tv)))
bel = json.load(open("%s%d.belgium.json" % (md, bv)))
for r in top["signed"]["delegations"]["roles"]:
    if r["name"] == "belgium":
        r["paths"] = ["*/belgium.tar.zst"]
t = bel["signed"]["targets"].pop("migrants-day-2021/belgium.idx")
bel["signed"]["targets"]["migrants-day-2021/belgium.tar.zst"] = t
d = repo + "/targets/migrants-day-2021/"
shutil.copy(d + t["hashes"]["sha256"] + ".belgium.idx", d + t["hashes"]["sha256"] + ".belgium.tar.zst")
bel["signed"]["version"] = bv + 1
sign(bel, keys + "/offices-1.pem")
put(bel, "%d.belgium.json" % (bv + 1))
top["signed"]["version"] = tv + 1
sign(top, keys + "/targets-1.pem")
put(top, "%d.targets.json" % (tv + 1))
snap["signed"]["meta"]["belgium.json"] = {"version": bv + 1}
snap["signed"]["meta"]["targets.json"] = {"version": tv + 1}
snap["signed"]["version"] = sv + 1
sign(snap, keys + "/snapshot-1.pem")
raw = put(snap, "%d.snapshot.json" % (sv + 1))
ts["signed"]["meta"]["snapshot.json"] = {"version": sv + 1, "length": len(raw), "hashes": {"sha256": hashlib.sha256(raw).hexdigest()}}
ts["signed"]["version"] += 1
sign(ts, keys + "/timestamp-1.pem")
put(ts, "timestamp.json")
PYEOF
cp -r "$MD" "$T/md-old"
correct_post "$T/md-old/offices/belgium.json" 1
check "HQ publishes belgium's corrected kit into the repository from before" kit-publish publish "$T/md-old" --repo "$O2" --keys "$KEYS"
expect_msg "as its .idx, version 2" "migrants-day-2021/belgium.idx: version 2"
$PY - "$O2" <<'PYEOF' && ok "the delegation lists both names again, the role the .idx only" || not_ok "the delegation from before is updated"
import json, sys
md = sys.argv[1] + "/metadata/"
ts = json.load(open(md + "timestamp.json"))
snap = json.load(open("%s%d.snapshot.json" % (md, ts["signed"]["meta"]["snapshot.json"]["version"])))["signed"]["meta"]
top = json.load(open("%s%d.targets.json" % (md, snap["targets.json"]["version"])))["signed"]
bel = json.load(open("%s%d.belgium.json" % (md, snap["belgium.json"]["version"])))["signed"]
roles = {r["name"]: r for r in top["delegations"]["roles"]}
assert roles["belgium"]["paths"] == ["*/belgium.idx", "*/belgium.tar.zst"], roles["belgium"]
assert list(bel["targets"]) == ["migrants-day-2021/belgium.idx"], bel["targets"]
assert bel["targets"]["migrants-day-2021/belgium.idx"]["custom"]["version"] == 2
PYEOF
check "a belgium office installs it through the role" sh -c "kit-fetch init --state '$T/b-old' --root '$O2/metadata/1.root.json' --url 'file://$O2' --office belgium -q && kit-fetch update --state '$T/b-old' -q && kit-fetch verify --state '$T/b-old' -q"
grep -q 'correction 1' "$T/b-old/kits/migrants-day-2021/current/manifest.json" && ok "the corrected kit, version 2" || not_ok "the corrected kit"
