#!/usr/bin/env bash
# The sources, the committed manifests and a freshly built bundle's manifest
# validate against the JSON Schemas in manifests/schema/, checked by an
# independent validator (Debian's python3-jsonschema).
. "$(dirname "$0")/lib.sh"

cat >"$T/validate.py" <<'PY'
import json, sys, jsonschema
d = sys.argv[1]
schemas = {n: json.load(open(f"{d}/{n}.schema.json")) for n in ("campaign", "office", "manifest")}
store = {s["$id"]: s for s in schemas.values()}
kind, files = sys.argv[2], sys.argv[3:]
v = jsonschema.Draft202012Validator(schemas[kind],
        resolver=jsonschema.RefResolver.from_schema(schemas[kind], store=store))
bad = 0
for f in files:
    for e in v.iter_errors(json.load(open(f))):
        bad += 1
        print(f"{f}: {'/'.join(map(str, e.absolute_path))}: {e.message}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
S="$KIT_SRC/manifests/schema"
py=/usr/bin/python3
check "every campaign.json matches campaign.schema.json" $py "$T/validate.py" "$S" campaign "$KIT_SRC"/campaigns/*/campaign.json
check "every office overlay matches office.schema.json" $py "$T/validate.py" "$S" office "$KIT_SRC"/campaigns/*/offices/*.json
check "every committed manifest matches manifest.schema.json" $py "$T/validate.py" "$S" manifest $(ls "$KIT_SRC"/manifests/*/*.json | grep -v /schema/)
check "kit-schedule's hand-made fixtures match manifest.schema.json too" $py "$T/validate.py" "$S" manifest "$KIT_SRC"/tests/fixtures/schedule/*/manifest.json
check "a built bundle" kit-publish build "$KIT_SRC/campaigns/migrants-day-2021" --out "$T/built" --kit-version 7 --quiet
mkdir -p "$T/x" && tar --zstd -xf "$T/built/migrants-day-2021/hungary.tar.zst" -C "$T/x" manifest.json
check "the manifest inside a built bundle matches too" $py "$T/validate.py" "$S" manifest "$T/x/manifest.json"
# The validator really checks: a manifest without its files list is refused.
$py -c 'import json,sys; m=json.load(open(sys.argv[1])); del m["files"]; json.dump(m, open(sys.argv[2],"w"))' "$T/x/manifest.json" "$T/bad.json"
if $py "$T/validate.py" "$S" manifest "$T/bad.json" 2>/dev/null; then not_ok "a manifest without files is refused by the schema"
else ok "a manifest without files is refused by the schema"; fi
