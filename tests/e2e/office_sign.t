#!/usr/bin/env bash
# Offices that sign their own overlay (issue 17), over nginx on 127.0.0.1:
# HQ lists the office's key in the registry, which delegates the office's
# role to that key and HQ's office key; the office's focal point publishes
# its overlay with its own key (kit-publish office publish); with threshold
# 2 HQ co-signs (kit-publish office cosign).  An office's key that signs
# outside its paths is refused (exit 3); a threshold-2 role with the office's
# signature alone is refused (exit 3); with both it installs.
. "$(dirname "$0")/lib.sh"
S="$KIT_SRC/tests/fixtures/servers"
PY=/usr/bin/python3
R="$T/repo"
HQ="$T/hq-keys"
HU="$T/hungary-keys"
C="$T/md"
cp -r "$KIT_SRC/campaigns/migrants-day-2021" "$C"
two_offices "$T/offices.jsonl"
correct() { correct_post "$C/offices/hungary.json" "$1"; }
installed() { grep -o 'correction [0-9]*' "$O/kits/migrants-day-2021/current/manifest.json" | tail -1; }

check "a repository" kit-publish init --repo "$R" --keys "$HQ" --quiet
check "the registry" kit-publish office import "$T/offices.jsonl" --repo "$R" --keys "$HQ" --quiet
check "HQ publishes migrants-day-2021" kit-publish publish "$C" --repo "$R" --keys "$HQ" --quiet
read -r hp _ < <(bash "$S/nginx.sh" start "$T/nginx" "$R" $$) || { not_ok "nginx starts"; exit 1; }
at_exit "bash '$S/nginx.sh' stop '$T/nginx'"
URL="http://127.0.0.1:$hp/"
O="$T/hungary"
check "hungary's office" kit-fetch init --state "$O" --root "$R/metadata/1.root.json" --url "$URL" --office hungary --quiet
check "installs its kit over nginx" kit-fetch update --state "$O" --quiet

# --- the office's key, in the registry ----------------------------------------------
check "hungary's focal point makes its key" kit-publish office key --keys "$HU" --quiet
HEX=$(cat "$T/out")
[ "${#HEX}" = 64 ] && ok "and gives HQ its public half ($HEX)" || not_ok "public key" "$HEX"
correct 1
expect_exit 1 "before HQ lists the key, office publish is refused" kit-publish office publish "$C" --office hungary --repo "$R" --keys "$HU"
expect_msg "saying what HQ runs" "the registry does not list key $HEX for office hungary; HQ adds it with kit-publish office add hungary"
check "HQ lists hungary's key (threshold 1)" kit-publish office add hungary --name "IOM Hungary" --country Hungary --timezone Europe/Budapest --languages hu,en --key "$HEX" --repo "$R" --keys "$HQ" --quiet
check "office list" kit-publish office list --repo "$R" --quiet
grep -q '^hungary .* own-keys' "$T/out" && ok "shows hungary with its own keys" || not_ok "own-keys" "$(cat "$T/out")"
check "HQ publishes the campaign again" kit-publish publish "$C" --repo "$R" --keys "$HQ"
expect_msg "leaving hungary's overlay to hungary" "migrants-day-2021/hungary.idx skipped: office hungary signs its own overlay"

# --- the office publishes its overlay ---------------------------------------------------
cp -r "$C" "$T/no-overlay"
rm "$T/no-overlay/offices/hungary.json"
expect_exit 1 "a campaign without hungary's overlay is refused" kit-publish office publish "$T/no-overlay" --office hungary --repo "$R" --keys "$HU"
expect_msg "saying so" "no overlay offices/hungary.json"
check "hungary publishes its corrected overlay with its own key" kit-publish office publish "$C" --office hungary --repo "$R" --keys "$HU"
expect_msg "signing its role" "role hungary signed with the office's key \\(version [0-9]+, 1 signature of the 1"
check "HQ's next commit (timestamp) lists the role" kit-publish timestamp --repo "$R" --keys "$HQ" --quiet
# the role's one signature is the office's key's, not HQ's
$PY - "$R" "$HEX" <<'EOF' && ok "the role is signed by hungary's key alone" || not_ok "role signed by the office's key"
import hashlib, json, os, sys
r, pub = sys.argv[1], sys.argv[2]
kid = hashlib.sha256(json.dumps({"keytype": "ed25519", "keyval": {"public": pub}, "scheme": "ed25519"}, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
ts = json.load(open(os.path.join(r, "metadata", "timestamp.json")))
snap = json.load(open(os.path.join(r, "metadata", "%d.snapshot.json" % ts["signed"]["meta"]["snapshot.json"]["version"])))
role = json.load(open(os.path.join(r, "metadata", "%d.hungary.json" % snap["signed"]["meta"]["hungary.json"]["version"])))
assert [s["keyid"] for s in role["signatures"]] == [kid], role["signatures"]
EOF
check "hungary's office updates" kit-fetch update --state "$O" --quiet
[ "$(installed)" = "correction 1" ] && ok "and installs the overlay its focal point signed" || not_ok "correction 1" "$(installed)"

# --- threshold 2: HQ co-signs -----------------------------------------------------------
check "HQ asks for its co-signature on hungary's role (threshold 2)" kit-publish office add hungary --name "IOM Hungary" --country Hungary --timezone Europe/Budapest --languages hu,en --key "$HEX" --threshold 2 --repo "$R" --keys "$HQ" --quiet
correct 2
check "hungary publishes correction 2" kit-publish office publish "$C" --office hungary --repo "$R" --keys "$HU"
expect_msg "one signature of the two" "1 signature of the 2 its delegation needs\\); HQ's next commit lists it once HQ co-signs it"
check "HQ's timestamp lists it as it is" kit-publish timestamp --repo "$R" --keys "$HQ" --quiet
before=$(tree_hash "$O/kits")
expect_exit 3 "the role with the office's signature alone is refused (exit 3)" kit-fetch update --state "$O"
expect_msg "naming the role and the threshold" "delegated role \"hungary\" metadata [0-9]+\\.hungary\\.json: 1 valid signature by hungary keys, threshold 2 required"
[ "$(tree_hash "$O/kits")" = "$before" ] && [ "$(installed)" = "correction 1" ] && ok "the installed kit is kept" || not_ok "kit kept"
check "HQ co-signs" kit-publish office cosign hungary --repo "$R" --keys "$HQ"
expect_msg "saying what it signed" "co-signed migrants-day-2021/hungary.idx \\(version [0-9]+\\)"
expect_msg "and that the threshold is met" "role hungary: version [0-9]+, 2 signatures of the 2"
check "with both signatures hungary updates" kit-fetch update --state "$O" --quiet
[ "$(installed)" = "correction 2" ] && ok "and installs correction 2" || not_ok "correction 2" "$(installed)"
B="$T/belgium"
check "belgium (HQ signs its role) installs meanwhile" kit-fetch init --state "$B" --root "$R/metadata/1.root.json" --url "$URL" --office belgium --quiet
check "belgium's update" kit-fetch update --state "$B" --quiet

# --- hungary's key signs outside its paths ----------------------------------------------
# The key holder adds belgium's kit to its own role, signs it with the
# office's key (and HQ's co-signature is not even needed to be refused: the
# threshold goes back to 1), and HQ's next commit lists it.
check "threshold 1 again" kit-publish office add hungary --name "IOM Hungary" --country Hungary --timezone Europe/Budapest --languages hu,en --key "$HEX" --repo "$R" --keys "$HQ" --quiet
$PY - "$R" "$HU/office.pem" <<'EOF' && ok "hungary's key signs belgium's kit into its role" || not_ok "evil role"
import hashlib, json, os, sys
from cryptography.hazmat.primitives import serialization
r, pem = sys.argv[1], sys.argv[2]
md = os.path.join(r, "metadata")
def canon(x): return json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
k = serialization.load_pem_private_key(open(pem, "rb").read(), password=os.environ["KIT_PASSPHRASE"].encode())
pub = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
kid = hashlib.sha256(canon({"keytype": "ed25519", "keyval": {"public": pub}, "scheme": "ed25519"})).hexdigest()
ts = json.load(open(os.path.join(md, "timestamp.json")))
snap = json.load(open(os.path.join(md, "%d.snapshot.json" % ts["signed"]["meta"]["snapshot.json"]["version"])))
hv, bv = snap["signed"]["meta"]["hungary.json"]["version"], snap["signed"]["meta"]["belgium.json"]["version"]
hun = json.load(open(os.path.join(md, "%d.hungary.json" % hv)))
bel = json.load(open(os.path.join(md, "%d.belgium.json" % bv)))
hun["signed"]["targets"]["migrants-day-2021/belgium.idx"] = bel["signed"]["targets"]["migrants-day-2021/belgium.idx"]
hun["signed"]["version"] = hv + 1
hun["signatures"] = [{"keyid": kid, "sig": k.sign(canon(hun["signed"])).hex()}]
open(os.path.join(md, "%d.hungary.json" % (hv + 1)), "w").write(json.dumps(hun, indent=1, sort_keys=True) + "\n")
EOF
check "HQ's next commit lists it" kit-publish timestamp --repo "$R" --keys "$HQ" --quiet
before=$(tree_hash "$O/kits")
expect_exit 3 "hungary's office refuses its own role signing outside its paths (exit 3)" kit-fetch update --state "$O"
expect_msg "naming the role and the target" "delegated role \"hungary\" signs target \"migrants-day-2021/belgium.idx\", outside the paths its delegation by \"targets\" allows; refused"
[ "$(tree_hash "$O/kits")" = "$before" ] && ok "hungary's installed kit is untouched" || not_ok "untouched"
bb=$(tree_hash "$B/kits")
check "belgium's office is not affected (it never reads hungary's role)" kit-fetch update --state "$B" --quiet
[ "$(tree_hash "$B/kits")" = "$bb" ] && ok "belgium's kit stays its own" || not_ok "belgium kept"
