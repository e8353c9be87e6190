#!/usr/bin/python3
"""report.py: the benchmark's table and results.json.

    report.py RAW.tsv META.tsv OUT.json

RAW rows: size, label, run, wall seconds, peak RSS KiB (from run.sh's
`timed`).  META rows: size (or "all"), key, value.  Prints a table with the
median of the runs, the ratio of each pair and the goals of issue 9 (PASS or
MISS; a MISS is reported, it does not fail the benchmark), and writes it all
as JSON.
"""

import json
import os
import statistics
import sys

MiB = 1048576.0

# Goal thresholds (issue 9).
FETCH_VS_NAIVE = 0.8      # kit-fetch time <= 0.8 x naive pipeline
FETCH_VS_FLOOR = 1.3      # kit-fetch time <= 1.3 x (curl | zstd -dc)
BUILD_VS_TARZSTD = 1.15   # kit-publish build <= 1.15 x tar | zstd (same level)
RSS_MAX_MIB = 64
# "Not growing with the kit's size": from the small kit (30 MiB) to the
# large one (1 GiB, 33x the bytes, 10x the files) the peak may grow by at
# most 25 % or 4 MiB, whichever is larger (the manifest and the file list
# grow with the file count; buffers must not grow with the bytes).
RSS_GROWTH_FRAC = 0.25
RSS_GROWTH_MIB = 4
UNCHANGED_REQUESTS = 1
UNCHANGED_BYTES = 2000
# Issue 18: updates pay for what changed.
POST_BYTES = 16 * 1024          # one post edited, all metadata included
IMAGE_EXTRA = 16 * 1024         # one image replaced: its stored size + this
FIRST_REQUESTS = 16             # a first install
UPDATE_REQUESTS = 8
REPO_VS_UNIQUE = 1.05
PUBLISH_CHANGE_S = 3.0


def load(raw_path, meta_path):
    runs = {}
    with open(raw_path) as f:
        for line in f:
            f = line.rstrip("\n").split("\t")
            size, label, secs, rss = f[0], f[1], f[3], f[4]
            d = runs.setdefault(size, {}).setdefault(label, {"s": [], "rss": [], "cpu": []})
            d["s"].append(float(secs))
            d["rss"].append(int(rss) if rss.strip().isdigit() else None)
            d["cpu"].append(float(f[5]) if len(f) > 5 else None)
    meta = {}
    with open(meta_path) as f:
        for line in f:
            size, key, val = line.rstrip("\n").split("\t", 2)
            meta.setdefault(size, {})[key] = val
    return runs, meta


def med(xs):
    return statistics.median(xs) if xs else None


def summarize(d):
    rss = [r for r in d["rss"] if r is not None]
    cpu = [c for c in d["cpu"] if c is not None]
    return {"runs_s": d["s"], "median_s": med(d["s"]), "min_s": min(d["s"]),
            "max_s": max(d["s"]), "runs_cpu_s": cpu, "median_cpu_s": med(cpu),
            "peak_rss_kib": max(rss) if rss else None}


def log_stats(meta, prefix):
    rows = []
    for k, v in meta.items():
        if k.startswith(prefix):
            f = v.split()
            n, b, bb, rq = (int(x) for x in f[:4])
            rows.append({"requests": n, "bytes_sent": b, "body_bytes_sent": bb,
                         "request_bytes": rq,
                         "statuses": f[4].split(",") if len(f) > 4 and f[4] != "-" else []})
    return rows


def size_report(size, runs, meta):
    m = meta.get(size, {})
    r = {k: summarize(v) for k, v in runs.items()}
    out = {"kit": {k: int(float(v)) for k, v in m.items()
                   if not k.startswith(("fetch_log_", "unchanged_log_", "fetch_from_"))
                   and k not in ("post_log", "image_log")},
           "measurements": r}
    # The standard build pipeline is the sum of its two timed steps, per run.
    if "std_tar_zstd" in runs and "std_sha256" in runs:
        per_run = [a + b for a, b in zip(runs["std_tar_zstd"]["s"], runs["std_sha256"]["s"])]
        cpu = [a + b for a, b in zip(runs["std_tar_zstd"]["cpu"], runs["std_sha256"]["cpu"])
               if a is not None and b is not None]
        r["std_pipeline"] = {"runs_s": per_run, "median_s": med(per_run),
                             "min_s": min(per_run), "max_s": max(per_run),
                             "runs_cpu_s": cpu, "median_cpu_s": med(cpu),
                             "peak_rss_kib": r["std_tar_zstd"]["peak_rss_kib"]}

    def ratio(a, b):
        if a in r and b in r and r[b]["median_s"]:
            return r[a]["median_s"] / r[b]["median_s"]
        return None
    out["ratios"] = {
        "build_vs_std_pipeline": ratio("publish_build", "std_pipeline"),
        "build_vs_tar_zstd": ratio("publish_build", "std_tar_zstd"),
        "fetch_vs_naive": ratio("fetch_update", "naive_pipeline"),
        "fetch_vs_transfer": ratio("fetch_update", "floor_transfer"),
        "fetch_vs_transfer_zstd": ratio("fetch_update", "floor_transfer_zstd"),
        "fetch_nosync_vs_naive": ratio("fetch_update_nosync", "naive_pipeline"),
        "build_nosync_vs_tar_zstd": ratio("publish_build_nosync", "std_tar_zstd"),
        "naive_vs_transfer_zstd": ratio("naive_pipeline", "floor_transfer_zstd"),
        "fetch_vs_write_sync": ratio("fetch_update", "floor_write_sync"),
    }
    out["fetch_requests"] = log_stats(m, "fetch_log_")
    out["fetch_from"] = {k: v for k, v in m.items() if k.startswith("fetch_from_")}
    un = log_stats(m, "unchanged_log_")
    out["unchanged"] = {
        "runs": un,
        "requests": max((x["requests"] for x in un), default=None),
        "bytes_sent": max((x["bytes_sent"] for x in un), default=None),
        "request_bytes": max((x["request_bytes"] for x in un), default=None),
        "statuses": sorted({st for x in un for st in x.get("statuses", [])}),
        "median_s": r.get("fetch_unchanged", {}).get("median_s"),
    }
    out["updates"] = {}
    for kind in ("post", "image"):
        st = log_stats({kind: m[kind + "_log"]}, kind) if kind + "_log" in m else []
        if st:
            x = st[0]
            x["wire_bytes"] = x["bytes_sent"] + x["request_bytes"]
            out["updates"][kind] = x
    return out


def fmt_s(x):
    return "-" if x is None else "%.3f" % x


def fmt_rss(k):
    return "-" if k is None else "%.1f MiB" % (k / 1024.0)


def fmt_ratio(x):
    return "-" if x is None else "%.2fx" % x


def table(res, level):
    lines = []
    for size, s in res["sizes"].items():
        k, r, q = s["kit"], s["measurements"], s["ratios"]
        kb = k.get("kit_bytes", 0)
        ab = k.get("archive_bytes", 0)
        lines.append("")
        lines.append("== %s kit: %d source files, %.1f MiB; archived %d files, %.1f MiB "
                     "(index.html %.1f MiB) -> %.1f MiB .tar.zst (level %s); tar|zstd: %.1f MiB"
                     % (size, k.get("source_files", 0), k.get("source_bytes", 0) / MiB,
                        k.get("kit_files", 0), kb / MiB, k.get("index_html_bytes", 0) / MiB,
                        ab / MiB, level, k.get("std_archive_bytes", 0) / MiB))
        lines.append("%-46s %9s %13s %7s %7s %10s  %s" % (
            "", "median s", "min-max s", "CPU s", "MiB/s", "peak RSS", "ratio (of medians)"))

        def row(label, key, nbytes, rat=""):
            m = r.get(key)
            if not m:
                return
            mbps = nbytes / MiB / m["median_s"] if m["median_s"] else 0
            cpu = m.get("median_cpu_s")
            lines.append("%-46s %9s %13s %7s %7.1f %10s  %s" % (
                label, fmt_s(m["median_s"]), "%.2f-%.2f" % (m["min_s"], m["max_s"]),
                "-" if cpu is None else "%.2f" % cpu, mbps, fmt_rss(m["peak_rss_kib"]), rat))
        row("kit-publish build", "publish_build", kb)
        row("tar --sort=name | zstd -T1 -%s + sha256sum" % level, "std_pipeline", kb,
            "kit/std " + fmt_ratio(q["build_vs_std_pipeline"]))
        row("  tar | zstd alone", "std_tar_zstd", kb,
            "kit/tar|zstd " + fmt_ratio(q["build_vs_tar_zstd"]))
        row("  sha256sum of every file alone", "std_sha256", kb)
        row("kit-publish build, fsync off (diagnostic)", "publish_build_nosync", kb,
            "vs tar|zstd " + fmt_ratio(q["build_nosync_vs_tar_zstd"]))
        row("kit-fetch update (fresh state)", "fetch_update", ab)
        row("curl -o f && sha256sum f && tar --zstd -xf f", "naive_pipeline", ab,
            "kit/naive " + fmt_ratio(q["fetch_vs_naive"]))
        row("kit-fetch update, fsync off (diagnostic)", "fetch_update_nosync", ab,
            "vs naive " + fmt_ratio(q["fetch_nosync_vs_naive"]))
        row("curl -o /dev/null (transfer floor)", "floor_transfer", ab,
            "kit/floor " + fmt_ratio(q["fetch_vs_transfer"]))
        row("curl | zstd -dc >/dev/null (+decompress floor)", "floor_transfer_zstd", ab,
            "kit/floor " + fmt_ratio(q["fetch_vs_transfer_zstd"]))
        row("curl | zstd -dc | tar -x && sync -f (diagnostic)", "floor_write_sync", ab,
            "kit/this " + fmt_ratio(q["fetch_vs_write_sync"]))
        fr = s["fetch_requests"]
        if fr:
            lines.append("kit-fetch update: %d requests, %d bytes sent by nginx"
                         % (fr[0]["requests"], fr[0]["bytes_sent"]))
        up = s.get("updates", {})
        for kind, what in (("post", "one post edited"), ("image", "one %.1f MB image replaced"
                                                           % (k.get("image_bytes", 0) / 1e6))):
            if kind in up:
                x = up[kind]
                lines.append("update after %s: %d requests, %d bytes on the wire (%d sent by nginx, "
                             "%d of requests), %.5f of the archive; HTTP %s"
                             % (what, x["requests"], x["wire_bytes"], x["bytes_sent"],
                                x["request_bytes"], x["wire_bytes"] / float(ab or 1),
                                ",".join(x["statuses"])))
        if "repo_packs_bytes" in k:
            lines.append("repository after 3 versions: packs %.1f MiB, archives %.1f MiB, unique "
                         "content %.1f MiB; largest kit index %d bytes"
                         % (k["repo_packs_bytes"] / MiB, k.get("repo_archive_bytes", 0) / MiB,
                            k.get("unique_content_bytes", 0) / MiB, k.get("index_bytes", 0)))
        row("kit-publish publish, one post edited", "publish_post", kb)
        row("kit-fetch update, one post edited", "update_post", 0)
        row("kit-fetch update, one image replaced", "update_image", 0)
        u = s["unchanged"]
        if u["requests"] is not None:
            lines.append("unchanged repository: %d request(s) (HTTP %s), %d bytes received "
                         "(%d of them headers) + %d bytes of request, %s s"
                         % (u["requests"], ",".join(u["statuses"]) or "-", u["bytes_sent"],
                            u["bytes_sent"] - max(x["body_bytes_sent"] for x in u["runs"]),
                            u["request_bytes"], fmt_s(u["median_s"])))
    return lines


def goals(res):
    sizes = res["sizes"]
    big = "large" if "large" in sizes else (list(sizes)[-1] if sizes else None)
    out = []

    def add(name, measured, target, ok, size=big, note=""):
        out.append({"goal": name, "size": size, "measured": measured, "target": target,
                    "status": "n/a" if ok is None else ("PASS" if ok else "MISS"),
                    "note": note})
    if big is None:
        return out
    s = sizes[big]
    q, r = s["ratios"], s["measurements"]
    x = q["fetch_vs_naive"]
    add("kit-fetch update <= 0.8x the naive pipeline", x, FETCH_VS_NAIVE,
        None if x is None else x <= FETCH_VS_NAIVE)
    x = q["fetch_vs_transfer_zstd"]
    add("kit-fetch update <= 1.3x transfer+decompress floor", x, FETCH_VS_FLOOR,
        None if x is None else x <= FETCH_VS_FLOOR)
    x = q["build_vs_tar_zstd"]
    add("kit-publish build <= 1.15x tar | zstd (same level)", x, BUILD_VS_TARZSTD,
        None if x is None else x <= BUILD_VS_TARZSTD,
        note="with sha256sum added to the pipeline: %s" % fmt_ratio(q["build_vs_std_pipeline"]))
    for prog, key in (("kit-publish build", "publish_build"), ("kit-fetch update", "fetch_update")):
        k = r.get(key, {}).get("peak_rss_kib")
        add("%s peak RSS < %d MiB" % (prog, RSS_MAX_MIB), None if k is None else k / 1024.0,
            RSS_MAX_MIB, None if k is None else k < RSS_MAX_MIB * 1024)
        if "small" in sizes and "large" in sizes:
            ks = sizes["small"]["measurements"].get(key, {}).get("peak_rss_kib")
            kl = sizes["large"]["measurements"].get(key, {}).get("peak_rss_kib")
            ok = None
            if ks and kl:
                ok = kl - ks <= max(ks * RSS_GROWTH_FRAC, RSS_GROWTH_MIB * 1024)
            add("%s peak RSS does not grow with kit size" % prog,
                None if not (ks and kl) else (kl - ks) / 1024.0,
                "<= max(25%%, %d MiB) from small to large" % RSS_GROWTH_MIB, ok, "small->large",
                "" if ok is not None else "needs BENCH_SIZES with small and large")
        else:
            add("%s peak RSS does not grow with kit size" % prog, None, None, None,
                "small->large", "needs BENCH_SIZES with small and large")
    u = s["unchanged"]
    add("unchanged repository: one request", u["requests"], UNCHANGED_REQUESTS,
        None if u["requests"] is None else u["requests"] <= UNCHANGED_REQUESTS)
    tot = None if u["bytes_sent"] is None else u["bytes_sent"] + u["request_bytes"]
    add("unchanged repository: < 2 KB transferred (both ways)", tot, UNCHANGED_BYTES,
        None if tot is None else tot < UNCHANGED_BYTES)
    # issue 18
    k, up = s["kit"], s.get("updates", {})
    ab = k.get("archive_bytes") or 0
    if "post" in up:
        w = up["post"]["wire_bytes"]
        add("one post edited: bytes on the wire, all metadata", w, POST_BYTES, w <= POST_BYTES,
            note="%.6fx the %d-byte archive of today" % (w / float(ab or 1), ab))
    if "image" in up:
        w = up["image"]["wire_bytes"]
        lim = k.get("image_bytes", 0) + IMAGE_EXTRA
        add("one image replaced: <= its stored size + 16 KiB", w, lim, w <= lim,
            note="image %d bytes (stored raw); %.5fx the archive" % (k.get("image_bytes", 0),
                                                                     w / float(ab or 1)))
    if up:
        n = max(x["requests"] for x in up.values())
        add("requests for either update", n, UPDATE_REQUESTS, n <= UPDATE_REQUESTS)
    x = q.get("fetch_vs_write_sync")
    nreq = max((y["requests"] for y in s["fetch_requests"]), default=None)
    frm = [tuple(int(v) for v in s["fetch_from"][f].split()) for f in sorted(s["fetch_from"])]
    arch = sum(a for a, _ in frm)
    add("first install <= 1.0x curl | zstd -dc | tar -x && sync, in <= %d requests" % FIRST_REQUESTS,
        x, 1.0, None if x is None or nreq is None else x <= 1.0 and nreq <= FIRST_REQUESTS,
        note="%s requests (%s); CPU %s s against %s s"
        % (nreq if nreq is not None else "?",
           "from the archive" if arch else "%d of them to the packs" % (frm[0][1] if frm else 0),
           fmt_s(r.get("fetch_update", {}).get("median_cpu_s")),
           fmt_s(r.get("floor_write_sync", {}).get("median_cpu_s"))))
    if k.get("unique_content_bytes"):
        uq = float(k["unique_content_bytes"])
        packs = k.get("repo_packs_bytes", 0)
        both = packs + k.get("repo_archive_bytes", 0)
        add("repository bytes <= 1.05x the unique content (3 versions)", both / uq,
            REPO_VS_UNIQUE, both / uq <= REPO_VS_UNIQUE,
            note="packs alone %.3fx; %s" % (packs / uq, "the archives are kept beside them"
                                              if k.get("repo_archive_bytes") else "no archives"))
    p = r.get("publish_post")
    if p:
        wrote = k.get("repo_packs_v2", 0) - k.get("repo_packs_v1", 0)
        add("kit-publish after one post edited: <= 3 s", p["median_s"], PUBLISH_CHANGE_S,
            p["median_s"] <= PUBLISH_CHANGE_S,
            note="packs/ grew by %d bytes; %s" % (wrote, "the archive is rebuilt (%d bytes)" % ab
                                                   if k.get("repo_archive_bytes") else "no archive"))
    for key in ("update_post", "update_image"):
        kk = r.get(key, {}).get("peak_rss_kib")
        if kk:
            add("kit-fetch %s peak RSS < %d MiB" % (key.replace("_", " "), RSS_MAX_MIB),
                kk / 1024.0, RSS_MAX_MIB, kk < RSS_MAX_MIB * 1024)
    return out


def main():
    raw, meta_path, out_path = sys.argv[1:4]
    runs, meta = load(raw, meta_path)
    allm = meta.get("all", {})
    res = {"config": allm, "sizes": {}}
    for size in ("small", "large"):
        if size in runs:
            res["sizes"][size] = size_report(size, runs[size], meta)
    res["goals"] = goals(res)
    lines = ["kit benchmarks: median of %s runs, %s cores (%s), zstd level %s, warm page cache, "
             "nginx on 127.0.0.1" % (allm.get("runs"), allm.get("nproc"), allm.get("cpu", "?"),
                                     allm.get("level")),
             "load average %s at the start, %s at the end; %s s in all (CPU s = user+sys of the "
             "command and its children)" % (allm.get("load_start", "?"), allm.get("load_end", "?"),
                                            allm.get("seconds", "?"))]
    try:
        if float(allm.get("load_start", 0)) > int(allm.get("nproc", 1)) / 2:
            lines.append("warning: the machine was busy when the benchmark started; wall-clock "
                         "ratios are noisy, compare CPU s too")
    except ValueError:
        pass
    lines += table(res, allm.get("level"))
    lines.append("")
    lines.append("goals (issue 9; checked on the %s kit):" % (
        "large" if "large" in res["sizes"] else "small (large not run)"))
    for g in res["goals"]:
        m = g["measured"]
        ms = "-" if m is None else (("%.2f" % m) if isinstance(m, float) else str(m))
        lines.append("  %-4s %-54s measured %s, target %s%s" % (
            g["status"], g["goal"], ms, g["target"], ("; " + g["note"]) if g["note"] else ""))
    text = "\n".join(lines) + "\n"
    res["table"] = text
    with open(out_path + ".tmp", "w") as f:
        json.dump(res, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(out_path + ".tmp", out_path)
    sys.stdout.write(text)
    sys.stdout.write("results: %s\n" % out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
