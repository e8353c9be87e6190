# store.sh: the repository scenario of make bench (BENCH_SCENARIO=store),
# sourced by run.sh after its set-up (start_nginx, log_lines, meta).
#
# Issue 18: a 200 MB media file (BENCH_STORE_MEDIA_MB) in the global kit of
# one campaign with 50 office overlays (BENCH_STORE_OFFICES), published 10
# times (BENCH_STORE_VERSIONS), each time after one post of one overlay
# changed (tests/bench/gen_org.py --edit, a different office each time).
# Measures the repository's bytes (du -sb, everything: metadata, targets,
# packs, indexes, the catalog) against the unique content (every distinct
# file content of every kit version, once: SHA-256 and size from every kit
# index the metadata names), and each publish after one changed post: wall
# time, CPU seconds and bytes written (GNU time %O, the kernel's count of
# 512-byte blocks the process wrote to storage).  Then an office installs
# its kit over nginx and verifies it (the repository works).  PASS/MISS by
# report_store.py into $BENCH/store.txt and store.json.
# shellcheck shell=bash disable=SC2154

# store_timed LABEL CMD...: one row of $BENCH/store.tsv: label, wall s,
# user+sys CPU s, peak RSS KiB, bytes written
store_timed() {
	local label=$1 t0 t1 rc=0
	shift
	sync
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%U %S %M %O' -o "$W/store.time" "$@" >"$W/out" 2>"$W/err" || rc=$?
	t1=$EPOCHREALTIME
	if [ "$rc" -ne 0 ]; then
		echo "bench: $label failed with exit $rc: $*" >&2
		tail -5 "$W/err" >&2
		exit 1
	fi
	tail -1 "$W/store.time" | awk -v l="$label" -v a="$t0" -v b="$t1" \
		'{ printf "%s\t%.4f\t%.2f\t%d\t%.0f\n", l, b - a, $1 + $2, $3, $4 * 512 }' >>"$BENCH/store.tsv"
}

bench_store() {
	local no=${BENCH_STORE_OFFICES:-50} mb=${BENCH_STORE_MEDIA_MB:-200} nv=${BENCH_STORE_VERSIONS:-10}
	local src=$BENCH/store-src repo=$W/www/store keys=$W/store-keys camp video v office n0
	case $no$mb$nv in *[!0-9]*) echo "bench: BENCH_STORE_OFFICES, _MEDIA_MB and _VERSIONS take numbers" >&2; exit 2 ;; esac
	[ "$no" -ge 1 ] && [ "$no" -le 999 ] && [ "$mb" -ge 1 ] && [ "$mb" -le 256 ] && [ "$nv" -ge 2 ] ||
		{ echo "bench: BENCH_STORE_OFFICES takes 1..999, BENCH_STORE_MEDIA_MB 1..256, BENCH_STORE_VERSIONS 2 or more" >&2; exit 2; }
	: >"$BENCH/store.tsv"
	meta store offices "$no"
	meta store media_bytes "$((mb << 20))"
	meta store versions "$nv"
	meta store load_start "$(cut -d' ' -f1 /proc/loadavg)"
	echo "bench: store: one campaign, $no office overlays, a $mb MiB media file, $nv versions"
	"$PY" "$HERE/gen_org.py" "$SRC/campaigns/migrants-day-2021" "$src" --campaigns 1 --offices "$no" \
		--offices-file "$BENCH/store-offices.jsonl"
	camp=$src/org-01
	# the media file: seeded random bytes (incompressible, like a video),
	# made once and kept with the other generated kits
	video=$BENCH/kits/store-$mb-$SEED.mp4
	if [ ! -f "$video" ] || [ "$(stat -c %s "$video")" != "$((mb << 20))" ]; then
		mkdir -p "$BENCH/kits"
		"$PY" -c 'import random, sys
r = random.Random(int(sys.argv[2]))
with open(sys.argv[1] + ".tmp", "wb") as f:
    for _ in range(int(sys.argv[3])):
        f.write(r.randbytes(1 << 20))' "$video" "$SEED" "$mb"
		mv "$video.tmp" "$video"
	fi
	ln "$video" "$camp/media/bench-video.mp4" 2>/dev/null || cp "$video" "$camp/media/bench-video.mp4"
	"$PY" - "$camp/campaign.json" <<-'PY'
	import json, sys
	p = sys.argv[1]
	c = json.load(open(p))
	c["media"].append({"file": "media/bench-video.mp4", "alt": "A video of the day's events (synthetic bytes for the benchmark)."})
	json.dump(c, open(p, "w"), indent=2, ensure_ascii=False)
	PY
	"$BIN/kit-publish" init --repo "$repo" --keys "$keys" --quiet
	"$BIN/kit-publish" office import "$BENCH/store-offices.jsonl" --repo "$repo" --keys "$keys" --quiet
	echo "bench: store: publishing version 1 ($((no + 1)) kits)"
	store_timed publish_v1 "$BIN/kit-publish" publish "$camp" --repo "$repo" --keys "$keys" --quiet
	for v in $(seq 2 "$nv"); do
		office=$(printf 'o%03d' $(((v - 2) % no + 1)))
		echo "bench: store: version $v: one post of $office changed"
		"$PY" "$HERE/gen_org.py" --edit "$camp" --office "$office" --n "$v"
		store_timed "publish_one_post_v$v" "$BIN/kit-publish" publish "$camp" --repo "$repo" --keys "$keys" --quiet
	done
	sync
	meta store repo_bytes "$(du -sb "$repo" | cut -f1)"
	meta store packs_bytes "$(du -sb "$repo/packs" | cut -f1)"
	meta store metadata_bytes "$(du -sb "$repo/metadata" | cut -f1)"
	meta store targets_bytes "$(du -sb "$repo/targets" | cut -f1)"
	meta store archive_bytes "$(find "$repo/targets" -name '*.tar.zst' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')"
	# every distinct content of every kit version, once: from the index of
	# every kit target any targets or role metadata on disk names
	meta store unique "$("$PY" - "$repo" <<-'PY'
	import glob, json, os, sys
	repo = sys.argv[1]
	seen, kits, idx = {}, set(), set()
	for f in glob.glob(os.path.join(repo, "metadata", "*.json")):
	    if f.endswith(("root.json", "snapshot.json", "timestamp.json")):
	        continue
	    for name, t in json.load(open(f))["signed"].get("targets", {}).items():
	        ix = t.get("custom", {}).get("index")
	        h = t["hashes"]["sha256"]
	        if name.endswith(".idx"):
	            d, b = os.path.split(name)
	            idx.add(os.path.join(repo, "targets", d, h + "." + b))
	        elif ix:
	            idx.add(os.path.join(repo, "packs", ix["sha256"] + ".idx"))
	for p in idx:
	    x = json.load(open(p))
	    kits.add((x["kit"]["office"], x["kit"]["version"]))
	    for o in x["objects"]:
	        seen[o[0]] = o[1]
	print(sum(seen.values()), len(seen), len(kits))
	PY
	)"
	# two days later (past the grace) one more version: pruning removes the
	# metadata of the versions before, then the packs and indexes only they
	# named; what it costs and what the repository keeps
	find "$repo" -type f -exec touch -d "@$(($(date +%s) - 2 * 86400))" {} +
	office=$(printf 'o%03d' $(((nv - 1) % no + 1)))
	echo "bench: store: version $((nv + 1)), two days later: one post of $office changed, old versions pruned"
	"$PY" "$HERE/gen_org.py" --edit "$camp" --office "$office" --n "$((nv + 1))"
	store_timed publish_pruning "$BIN/kit-publish" publish "$camp" --repo "$repo" --keys "$keys"
	meta store pruned "$(sed -n 's/.*pruned \([0-9]*\) files\{0,1\} (\([0-9]*\) bytes).*/\1 \2/p' "$W/err" | tail -1)"
	meta store repo_bytes_pruned "$(du -sb "$repo" | cut -f1)"
	# the repository works: an office installs its kit over nginx, verified
	n0=$(log_lines)
	"$BIN/kit-fetch" init --state "$W/store-o001" --root "$repo/metadata/1.root.json" \
		--url "http://127.0.0.1:$PORT/store" --office o001 --quiet
	store_timed install_o001 "$BIN/kit-fetch" update --state "$W/store-o001" --quiet
	meta store install_log "$(log_since "$n0")"
	"$BIN/kit-fetch" verify --state "$W/store-o001" --quiet ||
		{ echo "bench: kit-fetch verify failed after the install" >&2; exit 1; }
	cmp -s "$video" "$W/store-o001/kits/org-01/current/media/bench-video.mp4" ||
		{ echo "bench: the installed video differs from the published one" >&2; exit 1; }
	meta store load_end "$(cut -d' ' -f1 /proc/loadavg)"
	"$PY" "$HERE/report_store.py" "$BENCH/store.tsv" "$META" "$BENCH/store.json" | tee "$BENCH/store.txt"
}
