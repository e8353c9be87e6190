#!/usr/bin/python3
"""gen_campaign.py: a reproducible synthetic campaign for the benchmarks.

    gen_campaign.py OUT_DIR --name NAME --seed N --files N --bytes N [--text-share F]

Writes OUT_DIR/ as a campaign kit-publish validates: campaign.json, about.md,
statements/sNNNN.md (Markdown made of words drawn from a fixed word list),
media/vNNNN.svg (vector drawings: shapes with random coordinates and text;
compressible like real SVG) and media/mNNNN.png|.jpg (an image signature
followed by SHAKE-256 output: incompressible bytes), each medium declared
with alt text, plus a handful of posts inside the window.  Same arguments, same bytes (the
PRNG is random.Random(seed); media bytes are SHAKE-256 of seed and index, so
they do not depend on Python's PRNG implementation).

About text_share of the bytes (default 0.25) are text (statements and SVG),
the rest raster media.  Files: 20 % statements, 40 % SVG, 40 % raster.
Statements hold at most a quarter of the text and STATEMENTS_MAX bytes in
all: kit-publish inlines every statement into index.html, which it caps at
8 MiB (pkg/campaign/kit.c HTML_MAX), so the rest of the text is SVG.  Sizes are drawn uniformly in
[0.25, 1.75] x the mean of their kind and clipped to kit's caps (1 MiB per
statement, 50 MiB per medium).

The generator writes OUT_DIR.params.json last, holding the arguments, the
generator's own SHA-256, and the file count and total size it wrote; run.sh
reuses OUT_DIR when that file matches (see --check).
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import sys

TEXT_MAX = (1 << 20) - 4096
MEDIA_MAX = 50 << 20
STATEMENTS_MAX = 3 << 20

WORDS = """
migration migrant migrants people community communities family families work
workers rights dignity safety respect support together world global country
countries office offices city cities border borders journey journeys home
homes future hope history culture cultures language languages school schools
health care protection services policy policies government governments
partner partners society societies integration inclusion diversity skills
experience experiences innovation development remittances networks return
returns origin transit destination refugee refugees displaced displacement
humanitarian assistance response emergency crisis crises recovery climate
change environment drought flood floods storm season harvest farm farms market
markets trade economy economies growth jobs income training education youth
women men children elders voices stories story share sharing campaign message
messages day week year years month months today tomorrow together solidarity
every each many most some all new old young shared common better safer
regular orderly humane responsible fair equal open inclusive strong local
national regional international public private civil joint long short clear
simple practical concrete direct honest careful ready able free across through
between within without toward towards around among under over after before
during since while because although however therefore moreover indeed also
still already always never often sometimes rarely again together further
the a an of in on for with to from by at as and or but not is are was were be
been being has have had will would can could should may might must shall do
does did make makes made build builds built bring brings brought help helps
helped show shows showed learn learns learned listen listens listened protect
protects protected welcome welcomes welcomed connect connects connected
""".split()

SPEAKERS = ["Director General", "Deputy Director General", "Chief of Mission",
            "Regional Director", "Head of Office", "Spokesperson"]


def sentence(r, lo=6, hi=22):
    w = r.choices(WORDS, k=r.randint(lo, hi))
    w[0] = w[0].capitalize()
    for i in range(2, len(w) - 2):
        if r.random() < 0.07:
            w[i] += ","
    return " ".join(w) + r.choice([".", ".", ".", ".", "?", "!"])


def markdown(r, title, size):
    """Markdown of about size bytes: a title, sections, paragraphs, lists."""
    parts = ["# " + title + "\n\n"]
    n = len(parts[0])
    while n < size:
        roll = r.random()
        if roll < 0.08:
            s = "## " + sentence(r, 2, 6).rstrip(".?!") + "\n\n"
        elif roll < 0.18:
            s = "".join("- " + sentence(r, 4, 12) + "\n"
                        for _ in range(r.randint(2, 6))) + "\n"
        else:
            s = " ".join(sentence(r) for _ in range(r.randint(3, 9))) + "\n\n"
        parts.append(s)
        n += len(s.encode())
    text = "".join(parts).encode()[:size]
    # Cut on a whole word and end with a newline (valid UTF-8: ASCII only).
    cut = text.rfind(b" ")
    if cut > size // 2:
        text = text[:cut]
    return text.rstrip() + b"\n"


COLORS = ["#0033a0", "#5b92e5", "#ffffff", "#f2a900", "#00a3ad", "#333333"]


def svg(r, title, size):
    """An SVG drawing of about size bytes."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="1200" '
             'viewBox="0 0 1200 1200">\n<title>%s</title>\n'
             '<rect width="1200" height="1200" fill="#0033a0"/>\n' % title]
    n = len(parts[0])
    ri, ch = r.randint, r.choice
    while n < size - 16:
        roll = r.random()
        if roll < 0.3:
            s = '<circle cx="%d" cy="%d" r="%d" fill="%s" opacity="0.%d"/>\n' % (
                ri(0, 1200), ri(0, 1200), ri(2, 90), ch(COLORS), ri(1, 9))
        elif roll < 0.6:
            s = '<rect x="%d" y="%d" width="%d" height="%d" rx="%d" fill="%s"/>\n' % (
                ri(0, 1200), ri(0, 1200), ri(4, 300), ri(4, 300), ri(0, 12), ch(COLORS))
        elif roll < 0.85:
            pts = " ".join("L%d %d" % (ri(0, 1200), ri(0, 1200)) for _ in range(ri(3, 9)))
            s = '<path d="M%d %d %s Z" stroke="%s" stroke-width="%d" fill="none"/>\n' % (
                ri(0, 1200), ri(0, 1200), pts, ch(COLORS), ri(1, 6))
        else:
            s = ('<text x="%d" y="%d" font-family="Helvetica, Arial, sans-serif" '
                 'font-size="%d" fill="%s">%s</text>\n' % (
                     ri(0, 1100), ri(20, 1200), ri(12, 64), ch(COLORS),
                     " ".join(r.choices(WORDS, k=ri(1, 6)))))
        parts.append(s)
        n += len(s)
    parts.append("</svg>\n")
    return "".join(parts).encode()


def media_bytes(seed, index, ext, size):
    head = (b"\x89PNG\r\n\x1a\n" if ext == "png" else b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    body = hashlib.shake_256(b"kit-bench-media:%d:%d" % (seed, index)).digest(
        max(0, size - len(head)))
    return head + body


def sizes(r, count, total):
    """count sizes averaging total/count, uniform in [0.25, 1.75] x mean."""
    if count == 0:
        return []
    mean = total / count
    return [max(64, int(mean * r.uniform(0.25, 1.75))) for _ in range(count)]


def params_of(a):
    with open(os.path.abspath(__file__), "rb") as f:
        me = hashlib.sha256(f.read()).hexdigest()
    return {"generator": me, "name": a.name, "seed": a.seed, "files": a.files,
            "bytes": a.bytes, "text_share": a.text_share}


def tree_stats(out):
    n = total = 0
    for dp, _dn, fn in os.walk(out):
        for f in fn:
            n += 1
            total += os.path.getsize(os.path.join(dp, f))
    return n, total


def check(a):
    """Exit 0 when OUT_DIR holds a kit generated with these arguments."""
    try:
        with open(a.out + ".params.json") as f:
            had = json.load(f)
    except (OSError, ValueError):
        return 1
    want = params_of(a)
    if any(had.get(k) != v for k, v in want.items()):
        return 1
    n, total = tree_stats(a.out) if os.path.isdir(a.out) else (-1, -1)
    return 0 if (n, total) == (had.get("tree_files"), had.get("tree_bytes")) else 1


def generate(a):
    r = random.Random(a.seed)
    out = a.out
    if os.path.exists(out + ".params.json"):
        os.unlink(out + ".params.json")
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "statements"))
    os.makedirs(os.path.join(out, "media"))

    n_text = max(1, a.files // 5)
    n_svg = max(1, a.files * 2 // 5)
    n_media = max(1, a.files - n_text - n_svg - 1)  # about.md is a file too
    text_total = a.bytes * a.text_share
    st_total = min(text_total / 4, STATEMENTS_MAX)
    text_sizes = [min(TEXT_MAX, s) for s in sizes(r, n_text, st_total)]
    svg_sizes = [min(MEDIA_MAX, s) for s in sizes(r, n_svg, text_total - st_total)]
    media_sizes = [min(MEDIA_MAX, s) for s in sizes(r, n_media, a.bytes * (1 - a.text_share))]

    with open(os.path.join(out, "about.md"), "wb") as f:
        f.write(markdown(r, "Who we are: our values", 4096))

    statements = []
    for i, size in enumerate(text_sizes):
        name = "statements/s%04d.md" % i
        title = sentence(r, 3, 8).rstrip(".?!")
        with open(os.path.join(out, name), "wb") as f:
            f.write(markdown(r, title, size))
        statements.append({"file": name, "title": title,
                           "speaker": r.choice(SPEAKERS),
                           "date": "2030-06-%02d" % (1 + i % 20),
                           "language": "en"})

    media = []
    for i, size in enumerate(svg_sizes):
        name = "media/v%04d.svg" % i
        title = sentence(r, 3, 8).rstrip(".?!")
        with open(os.path.join(out, name), "wb") as f:
            f.write(svg(r, title, size))
        media.append({"file": name, "alt": "Drawing %d: %s" % (i, title)})
    for i, size in enumerate(media_sizes):
        ext = "png" if i % 3 else "jpg"
        name = "media/m%04d.%s" % (i, ext)
        with open(os.path.join(out, name), "wb") as f:
            f.write(media_bytes(a.seed, i, ext, size))
        media.append({"file": name,
                      "alt": "Synthetic picture %d: %s" % (i, sentence(r, 5, 12))})

    posts = []
    platforms = ["x", "facebook", "instagram", "linkedin", "mastodon"]
    for i in range(min(20, len(media))):
        # posts show raster media and drawings alternately
        p = platforms[i % len(platforms)]
        posts.append({"id": "bench-%02d" % i, "platform": p,
                      "time": "2030-06-%02dT%02d:00:00" % (10 + i % 5, 8 + i % 10),
                      "language": "en",
                      "text": sentence(r, 5, 14) + " #KitBench",
                      "link": "https://example.org/kit-bench/%d" % i,
                      "media": [media[(i * 7) % len(media)]["file"]]})

    campaign = {
        "id": a.name,
        "title": "Synthetic benchmark kit %s (seed %d)" % (a.name, a.seed),
        "note": "Generated by tests/bench/gen_campaign.py; not a real campaign.",
        "window": {"start": "2030-06-01T00:00:00+02:00",
                   "end": "2030-06-30T23:59:59+02:00"},
        "timezone": "Europe/Zurich",
        "languages": ["en"],
        "hashtags": ["#KitBench"],
        "source_date": "2030-05-31T12:00:00Z",
        "about": "about.md",
        "statements": statements,
        "videos": [{"title": "Benchmark video", "language": "en",
                    "url": "https://example.org/kit-bench/video"}],
        "media": media,
        "posts": posts,
    }
    with open(os.path.join(out, "campaign.json"), "w") as f:
        json.dump(campaign, f, indent=2, ensure_ascii=False)
        f.write("\n")

    p = params_of(a)
    p["tree_files"], p["tree_bytes"] = tree_stats(out)
    tmp = out + ".params.json.tmp"
    with open(tmp, "w") as f:
        json.dump(p, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, out + ".params.json")
    print("gen_campaign: %s: %d files, %.1f MiB" % (
        out, p["tree_files"], p["tree_bytes"] / 1048576.0), file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--name", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--files", type=int, required=True)
    ap.add_argument("--bytes", type=int, required=True)
    ap.add_argument("--text-share", type=float, default=0.25)
    ap.add_argument("--check", action="store_true",
                    help="exit 0 when OUT already holds this kit, 1 otherwise")
    a = ap.parse_args()
    a.out = os.path.abspath(a.out.rstrip("/"))
    if a.files < 3 or a.bytes < 4096 or not 0 < a.text_share < 1:
        ap.error("need --files >= 3, --bytes >= 4096, 0 < --text-share < 1")
    return check(a) if a.check else generate(a)


if __name__ == "__main__":
    sys.exit(main())
