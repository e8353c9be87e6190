#!/usr/bin/env bash
# A conformant TUF repository without consistent snapshots: its root says
# "consistent_snapshot": false, so a client asks for snapshot.json,
# targets.json and targets/<name> (TUF 1.0, 5.6 and 5.7.3), not for
# N.snapshot.json or targets/<dir>/<sha256>.<basename>.  kit-fetch asks the
# TUF module where a target lives and installs from such a repository.
# Made from a kit-publish repository: the root is re-signed with its own key
# (consistent_snapshot false), the versioned metadata and the hashed target
# files are moved to their plain names, and nothing else is left to find.
. "$(dirname "$0")/lib.sh"

check "a published repository" new_repo repo
/usr/bin/python3 - "$T/repo" "$T/repo-keys/root-1.pem" <<'PY'
import glob, json, os, re, sys
from cryptography.hazmat.primitives import serialization

repo, pem = sys.argv[1], sys.argv[2]
md = repo + "/metadata/"

def canon(x):
    return json.dumps(x, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")

def load(p):
    return json.load(open(p, encoding="utf-8"))

def write(doc, p):
    open(p, "w", encoding="utf-8").write(json.dumps(doc, indent=1, sort_keys=True) + "\n")

key = serialization.load_pem_private_key(open(pem, "rb").read(),
                                         password=os.environ["KIT_PASSPHRASE"].encode())
root = load(md + "1.root.json")
root["signed"]["consistent_snapshot"] = False
for sig in root["signatures"]:
    sig["sig"] = key.sign(canon(root["signed"])).hex()
write(root, md + "1.root.json")
write(root, md + "root.json")
ts = load(md + "timestamp.json")["signed"]
sn_v = ts["meta"]["snapshot.json"]["version"]
os.rename("%s%d.snapshot.json" % (md, sn_v), md + "snapshot.json")
tg_v = load(md + "snapshot.json")["signed"]["meta"]["targets.json"]["version"]
os.rename("%s%d.targets.json" % (md, tg_v), md + "targets.json")
for f in glob.glob(md + "[0-9]*.snapshot.json") + glob.glob(md + "[0-9]*.targets.json"):
    os.unlink(f)
for f in glob.glob(repo + "/targets/*/*"):
    d, base = os.path.split(f)
    m = re.match(r"^[0-9a-f]{64}\.(.*)$", base)
    if m:
        os.rename(f, os.path.join(d, m.group(1)))
PY
ls "$T/repo/targets/together-2016" >"$T/listing"
grep -q '^belgium.idx$' "$T/listing" && ! grep -q '^[0-9a-f]\{64\}\.' "$T/listing" &&
	ok "the repository keeps targets at targets/<name> only" ||
	not_ok "the repository keeps targets at targets/<name> only" "$(cat "$T/listing")"

O="$T/office"
check "init with the re-signed root" kit-fetch init --state "$O" --root "$T/repo/metadata/1.root.json" --url "$T/repo" --office belgium --quiet
check "update installs from targets/together-2016/belgium.idx (and the packs)" kit-fetch update --state "$O"
[ "$(/usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["office"], m["version"])' \
	"$O/kits/together-2016/current/manifest.json" 2>/dev/null)" = "belgium 1" ] &&
	ok "Belgium's kit, version 1, is installed" || not_ok "Belgium's kit, version 1, is installed"
check "and verifies" kit-fetch verify --state "$O"
check "a second update: nothing new" kit-fetch update --state "$O"
