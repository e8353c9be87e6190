#!/bin/bash
# gen_fetcher_seeds.sh: seeds of tests/fuzz/fetcher_fuzz.c and
# tests/fuzz/tuf_repo_fuzz.c, made with the real programs.  Run from the repository root after `make`:
#   bash tests/fuzz/gen_fetcher_seeds.sh
# kit-publish signs a small campaign (tests/fixtures/campaigns-broken/
# warnings-only: a global kit and a Hungary overlay) into a repository whose
# metadata expires in about 80 years, kit-fetch initialises and updates state
# directories from it, and each seed packs a state directory and the
# repository as "<state|repo>/<path>\n<bytes>" files joined by the line
# "@@kit-fuzz@@" (the lock and the log are left out); tuf_repo's pack the
# repository's metadata and the keys directory ("<repo|keys>/...").  Keys and signatures
# are new on each run, so the seeds differ from run to run.
set -euo pipefail
BIN=${BIN:-build/bin}
OUT=tests/fuzz/corpus/fetcher
W=$(mktemp -d /tmp/kit-fetcher-seeds-XXXXXX)
trap 'rm -rf "$W"' EXIT
export KIT_PASSPHRASE="correct horse battery staple"
EXP=root=29000d,targets=29000d,snapshot=29000d,timestamp=29000d
C=tests/fixtures/campaigns-broken/warnings-only

pack() { # pack SEED PREFIX=DIR... (an empty DIR is left out)
	python3 - "$@" <<'PY'
import os, sys
seed, pairs = sys.argv[1], sys.argv[2:]
parts = []
for pair in pairs:
    prefix, top = pair.split("=", 1)
    if not top:
        continue
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for f in sorted(files):
            path = os.path.join(root, f)
            rel = os.path.relpath(path, top)
            if rel in ("lock", "log") or os.path.islink(path):
                continue
            if prefix == "repo" and seed.find("/tuf_repo/") >= 0 and rel.startswith("targets/"):
                continue
            with open(path, "rb") as fh:
                parts.append(f"{prefix}/{rel}".encode() + b"\n" + fh.read())
with open(seed, "wb") as fh:
    fh.write(b"\n@@kit-fuzz@@\n".join(parts))
PY
}

REPO_OUT=tests/fuzz/corpus/tuf_repo
mkdir -p "$OUT" "$REPO_OUT" "$W/c"
cp -R "$C/." "$W/c/"
rm -f "$W/c/expected"
"$BIN/kit-publish" init --repo "$W/repo" --keys "$W/keys" --expires "$EXP" >/dev/null
pack "$REPO_OUT/initialised" repo="$W/repo" keys="$W/keys"
"$BIN/kit-publish" publish "$W/c" --repo "$W/repo" --keys "$W/keys" --expires "$EXP" >/dev/null
cp -R "$W/repo" "$W/repo1"
pack "$REPO_OUT/published" repo="$W/repo" keys="$W/keys"

for office in hungary global; do
	arg=(); [ "$office" = global ] || arg=(--office "$office")
	"$BIN/kit-fetch" init --state "$W/$office" --root "$W/repo/metadata/1.root.json" \
		--url "file://$W/nowhere" "${arg[@]}" --quiet >/dev/null
	pack "$OUT/$office-fresh" state="$W/$office" repo="$W/repo"
	"$BIN/kit-fetch" update --state "$W/$office" --from "$W/repo" --quiet >/dev/null
done
pack "$OUT/hungary-up-to-date" state="$W/hungary" repo="$W/repo"
pack "$OUT/state-only" state="$W/hungary"

# A second version: the installed first one is replaced.
echo "A new line." >>"$W/c/statements/s.md"
"$BIN/kit-publish" publish "$W/c" --repo "$W/repo" --keys "$W/keys" --expires "$EXP" >/dev/null
pack "$OUT/hungary-new-version" state="$W/hungary" repo="$W/repo"
pack "$REPO_OUT/second-version" repo="$W/repo" keys="$W/keys"
# ... and an old repository against the newer state (rollback).
"$BIN/kit-fetch" update --state "$W/hungary" --from "$W/repo" --quiet >/dev/null
pack "$OUT/hungary-rollback" state="$W/hungary" repo="$W/repo1"
ls -la "$OUT" "$REPO_OUT"
