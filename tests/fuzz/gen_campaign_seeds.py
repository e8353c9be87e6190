#!/usr/bin/python3
"""gen_campaign_seeds.py: pack campaign directories into campaign_fuzz inputs.

Run from the repository root: python3 tests/fuzz/gen_campaign_seeds.py
Each input is the directory's files, "<path>\\n<bytes>", joined by the
line SEP (see tests/fuzz/campaign_fuzz.c).  Packs the real campaigns and
the broken ones of tests/fixtures/campaigns-broken/ (their "expected"
files left out) into tests/fuzz/corpus/campaign/.
"""
import os

SEP = b"\n@@kit-fuzz@@\n"


def pack(d):
    parts = []
    for root, dirs, files in os.walk(d):
        dirs.sort()
        for f in sorted(files):
            path = os.path.join(root, f)
            rel = os.path.relpath(path, d)
            if rel == "expected":
                continue
            with open(path, "rb") as fh:
                parts.append(rel.encode() + b"\n" + fh.read())
    return SEP.join(parts)


def main():
    out = os.path.join("tests", "fuzz", "corpus", "campaign")
    os.makedirs(out, exist_ok=True)
    sources = [os.path.join("campaigns", c) for c in sorted(os.listdir("campaigns"))]
    broken = os.path.join("tests", "fixtures", "campaigns-broken")
    sources += [os.path.join(broken, c) for c in sorted(os.listdir(broken))
                if os.path.isdir(os.path.join(broken, c))]
    for s in sources:
        name = os.path.basename(s)
        with open(os.path.join(out, name), "wb") as fh:
            fh.write(pack(s))


if __name__ == "__main__":
    main()
