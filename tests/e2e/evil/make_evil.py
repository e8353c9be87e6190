#!/usr/bin/env python3
"""make_evil.py: a corpus of hostile kit archives, for tests/e2e/evil_archives.t.

usage: make_evil.py BASE.tar.zst OUTDIR ABS_PATH

BASE is a real kit archive built by `kit-publish build` (version 1).  Every
case starts from its manifest.json and files and changes one property
only; all of them also carry version 2 (and, when files[] changes, the
recomputed "content" digest), so that a signed target whose custom data
matches the manifest leads kit-fetch straight into the extractor's checks.
ABS_PATH is the absolute path the "absolute" case tries to write.

Writes, for each case NAME:
  OUTDIR/NAME.tar.zst     the archive (tar by Python's tarfile, then the zstd CLI)
  OUTDIR/NAME.custom.json the TUF target custom data matching its manifest
and prints the case names, one a line.  "control" is the well-formed
version 2, built the same way, that kit-fetch must install.
"""
import copy
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MIB = 1024 * 1024


class Entry:
    """One archive member: a regular file unless told otherwise."""

    def __init__(self, name, data=b"", kind=tarfile.REGTYPE, mode=None,
                 linkname="", pax=None, dev=(0, 0)):
        self.name = name
        self.data = data
        self.kind = kind
        self.mode = mode if mode is not None else (
            0o755 if kind == tarfile.DIRTYPE else 0o644)
        self.linkname = linkname
        self.pax = pax or {}
        self.dev = dev


MANIFEST = "manifest.json"  # placeholder entry name: filled in at write time


def load_base(path):
    raw = subprocess.run(["zstd", "-dc", "--", path], check=True,
                         stdout=subprocess.PIPE).stdout
    entries, mtime = [], 0
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as t:
        for m in t.getmembers():
            mtime = m.mtime
            if m.isdir():
                entries.append(Entry(m.name + "/", kind=tarfile.DIRTYPE,
                                     mode=m.mode))
            elif m.isfile():
                entries.append(Entry(m.name, t.extractfile(m).read(),
                                     mode=m.mode))
            else:
                sys.exit("make_evil.py: unexpected member %s in %s" % (m.name, path))
    if not entries or entries[0].name != MANIFEST:
        sys.exit("make_evil.py: %s does not start with manifest.json" % path)
    manifest = json.loads(entries[0].data)
    return manifest, entries, mtime


def content_digest(m):
    """As pkg/campaign does: the compact, key-sorted dump without version
    and content."""
    c = {k: v for k, v in m.items() if k not in ("version", "content")}
    dump = json.dumps(c, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(dump.encode("utf-8")).hexdigest()


def list_file(m, path, data, media_type="application/octet-stream"):
    """Add path to the manifest's files[] with data's size and SHA-256."""
    m["files"].append({"path": path, "size": len(data),
                       "sha256": hashlib.sha256(data).hexdigest(),
                       "type": media_type})
    m["files"].sort(key=lambda f: f["path"].encode("utf-8"))


def write(out, manifest, entries, mtime, refresh_content=True):
    m = copy.deepcopy(manifest)
    if refresh_content:
        m["content"] = content_digest(m)
    body = (json.dumps(m, indent=2, sort_keys=True, ensure_ascii=False)
            + "\n").encode("utf-8")
    tar_path = out + ".tar"
    with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT,
                      encoding="utf-8", errors="surrogateescape") as t:
        for e in entries:
            data = body if (e.name == MANIFEST and e.data is None) else e.data
            ti = tarfile.TarInfo(e.name)
            ti.type = e.kind
            ti.mode = e.mode
            ti.mtime = mtime
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            ti.linkname = e.linkname
            ti.devmajor, ti.devminor = e.dev
            ti.pax_headers = dict(e.pax)
            if e.kind == tarfile.REGTYPE:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
    subprocess.run(["zstd", "-q", "-f", "-9", "--rm", "-o", out + ".tar.zst",
                    tar_path], check=True)
    custom = {k: m[k] for k in ("campaign", "office", "version", "window",
                                "content")}
    with open(out + ".custom.json", "w", encoding="utf-8") as f:
        json.dump(custom, f, ensure_ascii=False)


def main():
    if len(sys.argv) != 4 or not sys.argv[3].startswith("/"):
        sys.exit("usage: make_evil.py BASE.tar.zst OUTDIR ABS_PATH")
    base, outdir, abs_path = sys.argv[1:]
    manifest, entries, mtime = load_base(base)
    manifest["version"] = 2
    entries[0].data = None  # the manifest, serialised at write time
    os.makedirs(outdir, exist_ok=True)
    names = [e.name for e in entries]

    def idx(name):
        return names.index(name)

    def some_file(prefix=""):
        for e in entries:
            if e.kind == tarfile.REGTYPE and e.name != MANIFEST and \
                    e.name.startswith(prefix):
                return e
        sys.exit("make_evil.py: no file under %r in %s" % (prefix, base))

    about = entries[idx("about.md")]
    index = entries[idx("index.html")]
    media_file = some_file("media/")
    stmt = some_file("statements/")
    cases = {}

    def case(fn):
        cases[fn.__name__] = fn
        return fn

    # Each case gets fresh copies: (manifest, entries) -> (manifest, entries)
    @case
    def control(m, es):
        return m, es

    @case
    def dotdot(m, es):
        return m, es + [Entry("../escaped-dotdot.txt", b"escaped\n")]

    @case
    def dotdot_inner(m, es):
        return m, es + [Entry("media/../../escaped-inner.txt", b"escaped\n")]

    @case
    def absolute(m, es):
        return m, es + [Entry(abs_path, b"escaped\n")]

    @case
    def symlink(m, es):  # about.md, listed in the manifest, as a symlink
        es[idx("about.md")] = Entry("about.md", kind=tarfile.SYMTYPE,
                                    mode=0o777, linkname="/etc/passwd")
        return m, es

    @case
    def symlink_dir(m, es):  # media/ as a symlink out of the kit
        es[idx("media/")] = Entry("media", kind=tarfile.SYMTYPE, mode=0o777,
                                  linkname="../../..")
        return m, es

    @case
    def hardlink(m, es):  # index.html, listed, as a hard link
        es[idx("index.html")] = Entry("index.html", kind=tarfile.LNKTYPE,
                                      linkname="about.md")
        return m, es

    @case
    def hardlink_out(m, es):
        es[idx("index.html")] = Entry("index.html", kind=tarfile.LNKTYPE,
                                      linkname="/etc/passwd")
        return m, es

    @case
    def chardev(m, es):
        return m, es + [Entry("media/null", kind=tarfile.CHRTYPE, dev=(1, 3))]

    @case
    def blockdev(m, es):
        return m, es + [Entry("media/sda", kind=tarfile.BLKTYPE, dev=(8, 0))]

    @case
    def fifo(m, es):
        return m, es + [Entry("media/pipe", kind=tarfile.FIFOTYPE)]

    @case
    def socket(m, es):
        # tar has no socket type; this is how a writer would try: the
        # star/pax file type record and the socket bits in the mode field.
        return m, es + [Entry("media/kit.sock", mode=0o140644,
                              pax={"SCHILY.filetype": "socket"})]

    @case
    def setuid(m, es):
        es[idx("about.md")].mode = 0o4755
        return m, es

    @case
    def setgid(m, es):
        es[idx(stmt.name)].mode = 0o2755
        return m, es

    @case
    def sticky(m, es):
        es[idx("media/")].mode = 0o1777
        return m, es

    @case
    def setuid_manifest(m, es):
        es[0].mode = 0o4644
        return m, es

    @case
    def duplicate(m, es):
        dup = copy.deepcopy(es[idx("about.md")])
        return m, es + [dup]

    @case
    def duplicate_dir(m, es):
        return m, es + [Entry("media/", kind=tarfile.DIRTYPE)]

    @case
    def duplicate_manifest(m, es):
        # a second manifest.json, listing nothing: it must not replace the first
        second = dict(m, files=[])
        return m, es + [Entry(MANIFEST, json.dumps(second).encode())]

    @case
    def not_in_manifest(m, es):
        return m, es + [Entry("media/tracker.js", b"fetch('https://evil.example/');\n")]

    @case
    def dir_not_in_manifest(m, es):
        return m, es + [Entry("hidden/", kind=tarfile.DIRTYPE)]

    @case
    def missing(m, es):
        del es[idx(stmt.name)]
        return m, es

    @case
    def size_larger(m, es):
        e = es[idx("about.md")]
        e.data = e.data + b"\n"
        return m, es

    @case
    def size_smaller(m, es):
        e = es[idx("index.html")]
        e.data = e.data[:-10]
        return m, es

    @case
    def hash_mismatch(m, es):  # same size, one byte changed
        e = es[idx(media_file.name)]
        e.data = e.data[:-1] + bytes([e.data[-1] ^ 0x01])
        return m, es

    @case
    def bomb_data(m, es):
        # 64 MiB of zeros, honestly listed (size and SHA-256): only the
        # compression ratio is wrong (zstd makes it a few kB)
        zeros = bytes(64 * MIB)
        list_file(m, "media/zeros.bin", zeros)
        return m, es + [Entry("media/zeros.bin", zeros)]

    @case
    def bomb_headers(m, es):
        # every member of the kit unchanged, each behind a 512 KiB pax
        # comment record: megabytes of tar stream, no file data
        for e in es[1:]:
            e.pax = {"comment": "x" * (512 * 1024)}
        return m, es

    @case
    def utf8_invalid(m, es):
        name = b"media/\xff\xfe.txt".decode("utf-8", "surrogateescape")
        return m, es + [Entry(name, b"bad name\n")]

    @case
    def utf8_overlong(m, es):  # "\xc0\xaf" is an overlong "/"
        name = b"media/\xc0\xaf..\xc0\xafescaped.txt".decode("utf-8", "surrogateescape")
        return m, es + [Entry(name, b"bad name\n")]

    @case
    def case_file(m, es):
        data = b"# About (upper case)\n"
        list_file(m, "ABOUT.md", data, "text/markdown; charset=utf-8")
        return m, es + [Entry("ABOUT.md", data)]

    @case
    def case_dir(m, es):
        data = media_file.data
        path = "MEDIA/" + media_file.name.split("/", 1)[1]
        list_file(m, path, data)
        return m, es + [Entry("MEDIA/", kind=tarfile.DIRTYPE), Entry(path, data)]

    @case
    def case_cyrillic(m, es):
        a, b = "statements/Дом.md", "statements/дом.md"
        list_file(m, a, b"A\n", "text/markdown; charset=utf-8")
        list_file(m, b, b"B\n", "text/markdown; charset=utf-8")
        return m, es + [Entry(a, b"A\n"), Entry(b, b"B\n")]

    @case
    def manifest_not_first(m, es):
        es[0], es[1] = es[1], es[0]
        return m, es

    @case
    def manifest_absent(m, es):
        return m, es[1:]

    for name, fn in cases.items():
        m, es = fn(copy.deepcopy(manifest), copy.deepcopy(entries))
        write(os.path.join(outdir, name), m, es, mtime)
        print(name)


if __name__ == "__main__":
    main()
