#!/usr/bin/python3
"""report_store.py TSV META OUT_JSON: the repository goals of issue 18 from a store run (store.sh).

TSV rows: label, wall s, CPU s (user+sys), peak RSS KiB, bytes written.
META rows: store, key, value.
"""

import json
import statistics
import sys

MiB = 1 << 20


def main():
    tsv, meta_path, out = sys.argv[1:4]
    runs = {}
    with open(tsv) as f:
        for line in f:
            label, s, cpu, rss, wrote = line.rstrip("\n").split("\t")
            runs[label] = {"wall": float(s), "cpu": float(cpu), "rss_kib": int(rss), "written": int(wrote)}
    meta = {}
    with open(meta_path) as f:
        for line in f:
            k, key, v = line.rstrip("\n").split("\t", 2)
            if k == "store":
                meta[key] = v
    no, nv, media = int(meta["offices"]), int(meta["versions"]), int(meta["media_bytes"])
    uq, n_objects, n_kits = (int(x) for x in meta["unique"].split())
    repo = int(meta["repo_bytes"])
    posts = [runs[k] for k in sorted(runs) if k.startswith("publish_one_post_")]
    last = posts[-1]
    wall_med = statistics.median(p["wall"] for p in posts)
    wrote_max = max(p["written"] for p in posts)
    ratio = repo / uq
    goals = [
        ("repository bytes: a %d MiB media file in the global kit and %d office kits, over %d versions"
         % (media >> 20, no, nv),
         "%.1f MiB for %.1f MiB of unique content (%d objects, %d kit versions): %.3fx"
         % (repo / MiB, uq / MiB, n_objects, n_kits, ratio),
         "<= 1.05x the unique content", ratio <= 1.05),
        ("kit-publish after one post changed in one overlay of that %d-office campaign" % no,
         "%.2f s (%.2f s CPU), %.0f KiB written (last of %d; median %.2f s, most written %.0f KiB)"
         % (last["wall"], last["cpu"], last["written"] / 1024, len(posts), wall_med, wrote_max / 1024),
         "<= 3 s and <= 1 MiB written", last["wall"] <= 3 and last["written"] <= MiB),
    ]
    lines = ["| measure (%d offices, %d MiB media, %d versions) | measured | goal | |" % (no, media >> 20, nv),
             "| --- | --- | --- | --- |"]
    for what, got, goal, ok in goals:
        lines.append("| %s | %s | %s | %s |" % (what, got, goal, "PASS" if ok else "MISS"))
    lines.append("")
    lines.append("repository: packs %.1f MiB, targets %.1f MiB (archives %.1f MiB), metadata %.1f MiB; "
                 "first publish (%d kits) %.1f s, %.1f s CPU, %.0f MiB written, peak RSS %d MiB"
                 % (int(meta["packs_bytes"]) / MiB, int(meta["targets_bytes"]) / MiB,
                    int(meta["archive_bytes"]) / MiB, int(meta["metadata_bytes"]) / MiB, no + 1,
                    runs["publish_v1"]["wall"], runs["publish_v1"]["cpu"],
                    runs["publish_v1"]["written"] / MiB, runs["publish_v1"]["rss_kib"] >> 10))
    if "publish_pruning" in runs:
        pr = runs["publish_pruning"]
        pf = (meta.get("pruned") or "0 0").split()
        lines.append("version %d two days later, pruning what only earlier versions named: %.2f s (%.2f s CPU), "
                     "%.0f KiB written, %s files (%.1f MiB) pruned; repository then %.1f MiB"
                     % (nv + 1, pr["wall"], pr["cpu"], pr["written"] / 1024, pf[0], int(pf[1]) / MiB,
                        int(meta["repo_bytes_pruned"]) / MiB))
    inst = meta.get("install_log", "0 0 0 0 -").split()
    lines.append("an office's first install of its kit: %s requests, %.1f MiB on the wire, %.2f s (%.2f s CPU), "
                 "peak RSS %d MiB; load average %s at the start, %s at the end"
                 % (inst[0], int(inst[1]) / MiB, runs["install_o001"]["wall"], runs["install_o001"]["cpu"],
                    runs["install_o001"]["rss_kib"] >> 10, meta.get("load_start"), meta.get("load_end")))
    if (no, media >> 20, nv) != (50, 200, 10):
        lines.append("(the goals are set for 50 offices, 200 MB, 10 versions; this run differs)")
    print("\n".join(lines))
    with open(out, "w") as f:
        json.dump({"meta": meta, "runs": runs,
                   "goals": [{"what": w, "measured": g, "goal": gl, "pass": ok} for w, g, gl, ok in goals]},
                  f, indent=1)


if __name__ == "__main__":
    main()
