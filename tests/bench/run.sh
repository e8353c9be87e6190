#!/bin/bash
# run.sh: kit's benchmarks (make bench).  Measures kit-publish build and
# kit-fetch update against the standard tools on the same bytes, prints a
# table and writes $BENCH/results.json (see tests/bench/README for details).
#
# Env (set by the Makefile): BIN (built programs), BENCH (output directory),
# SRC (repository root).  Knobs:
#   BENCH_SIZES="small large"  which synthetic kits to measure
#   BENCH_RUNS=3               runs per measurement (the median is reported)
#   BENCH_SEED=20161218        the generator's seed
#   BENCH_KEEP=1               keep $BENCH/work (repositories, nginx logs)
#   BENCH_SCENARIO=org         the organisation scenario instead (org.sh:
#                              BENCH_ORG_CAMPAIGNS x BENCH_ORG_OFFICES)
#   BENCH_SCENARIO=store       the repository scenario of issue 18 instead
#                              (store.sh: BENCH_STORE_OFFICES overlays,
#                              a BENCH_STORE_MEDIA_MB file, _VERSIONS)
#   BENCH_PROFILE=1            also profile kit-publish build and kit-fetch
#                              update (perf record -e cpu-clock, strace -c -w)
#                              into $BENCH/profile/
#
# Diagnostic rows (not goals): both programs again under eatmydata, which
# turns fsync into a no-op, to show what durability costs (the standard
# pipelines never sync).  Skipped when eatmydata is missing and we are not
# root to install it.
#
# Everything runs warm (page cache) on 127.0.0.1; every fetch starts from a
# fresh state directory, so it really downloads.  Disk: the large kit is
# ~1 GiB, cached under $BENCH/kits; the work area peaks near 4.5 GiB and is
# removed at the end.
# The bash -c scripts below take their arguments as $1.., single-quoted on purpose.
# shellcheck disable=SC2016
set -euo pipefail
export LC_ALL=C
: "${BIN:?set BIN to the directory of the built programs}"
: "${BENCH:?set BENCH to the benchmark output directory}"
: "${SRC:?set SRC to the repository root}"

RUNS=${BENCH_RUNS:-3}
SIZES=${BENCH_SIZES:-small large}
SEED=${BENCH_SEED:-20161218}
HERE=$SRC/tests/bench
PY=/usr/bin/python3
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
export KIT_PASSPHRASE="kit bench passphrase, not secret"
unset KIT_PASSPHRASE_FILE KIT_TEST_NOW

case ${BENCH_SCENARIO:-kits} in kits | org | store) ;; *) echo "bench: BENCH_SCENARIO is kits, org or store" >&2; exit 2 ;; esac
case $RUNS in '' | *[!0-9]* | 0) echo "bench: BENCH_RUNS must be a positive integer" >&2; exit 2 ;; esac
for s in $SIZES; do
	case $s in small | large) ;; *) echo "bench: unknown size '$s' in BENCH_SIZES (small, large)" >&2; exit 2 ;; esac
done

# The compression level kit-publish uses by default, from its header.
LEVEL=$(sed -n 's/^#define KIT_PUBLISHER_ZSTD_DEFAULT  *\([0-9][0-9]*\).*/\1/p' \
	"$SRC/pkg/publisher/kit_publisher.h")
[ -n "$LEVEL" ] || { echo "bench: cannot read KIT_PUBLISHER_ZSTD_DEFAULT from pkg/publisher/kit_publisher.h" >&2; exit 1; }

# GNU time gives the peak RSS (%M, KiB) of what it runs.
if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "bench: installing GNU time (Debian package 'time')"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1 ||
			{ echo "bench: apt-get install time failed; install the Debian package 'time'" >&2; exit 1; }
	else
		echo "bench: /usr/bin/time is missing; as root run: apt-get install time" >&2
		exit 1
	fi
fi
EATMYDATA=$(command -v eatmydata 2>/dev/null || true)
if [ -z "$EATMYDATA" ] && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq eatmydata >/dev/null 2>&1 || true
	EATMYDATA=$(command -v eatmydata 2>/dev/null || true)
fi
[ -n "$EATMYDATA" ] || echo "bench: eatmydata is missing; the fsync-free diagnostic rows are skipped"
for t in tar zstd curl sha256sum "$NGINX" "$PY"; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench: $t is missing (make deps installs it)" >&2; exit 1; }
done

mkdir -p "$BENCH/kits"
W=$BENCH/work
RAW=$BENCH/raw.tsv
META=$BENCH/meta.tsv
rm -rf "$W"
mkdir -p "$W"
: >"$RAW"
: >"$META"

NGINX_DIR=$W/nginx
cleanup() {
	local pid
	if [ -s "$NGINX_DIR/nginx.pid" ]; then
		pid=$(cat "$NGINX_DIR/nginx.pid")
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	if [ "${BENCH_KEEP:-0}" != 1 ]; then rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

meta() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$META"; }
now() { echo "$EPOCHREALTIME"; }

# timed SIZE LABEL RUN CMD...: run CMD under GNU time; one row in raw.tsv:
# size, label, run, wall seconds, peak RSS (KiB), CPU seconds (user+sys).  Dirty pages left by the
# previous command are written back first (untimed), so no run pays for
# another's writeback.
timed() {
	local size=$1 label=$2 run=$3 t0 t1 rc=0
	shift 3
	sync
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%M %U %S' -o "$W/rss" "$@" >"$W/out" 2>"$W/err" || rc=$?
	t1=$EPOCHREALTIME
	if [ "$rc" -ne 0 ]; then
		echo "bench: $label ($size, run $run) failed with exit $rc: $*" >&2
		tail -5 "$W/err" >&2
		exit 1
	fi
	# wall seconds, then from GNU time: peak RSS (KiB), CPU seconds (user+sys)
	printf '%s\t%s\t%s\t%s\t%s\n' "$size" "$label" "$run" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" \
		"$(tail -1 "$W/rss" | awk '{ printf "%s\t%.2f", $1, $2 + $3 }')" >>"$RAW"
}

# --- nginx on 127.0.0.1, serving $W --------------------------------------------
free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_nginx() {
	local port userline="" temps features m
	mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/tmp"
	port=$(free_port)
	[ "$(id -u)" = 0 ] && userline="user root;"
	temps="client_body_temp_path $NGINX_DIR/tmp/body;"
	features=$("$NGINX" -V 2>&1 || true)
	for m in proxy fastcgi uwsgi scgi; do
		case $features in
		*"--without-http_${m}_module"*) ;;
		*) temps="$temps ${m}_temp_path $NGINX_DIR/tmp/$m;" ;;
		esac
	done
	cat >"$NGINX_DIR/nginx.conf" <<-EOF
	$userline
	daemon on;
	worker_processes 1;
	pid $NGINX_DIR/nginx.pid;
	error_log $NGINX_DIR/logs/error.log warn;
	events { worker_connections 64; }
	http {
		default_type application/octet-stream;
		# TUF metadata compressed for clients that ask (kit-fetch does)
		types { application/json json; }
		gzip on;
		gzip_types application/json;
		gzip_min_length 512;
		log_format bench '\$request_method \$uri \$status \$bytes_sent \$body_bytes_sent \$request_length \$connection \$connection_requests';
		access_log $NGINX_DIR/logs/access.log bench;
		$temps
		sendfile on;
		tcp_nopush on;
		server {
			listen 127.0.0.1:$port;
			server_name localhost;
			root $W/www;
		}
	}
	EOF
	mkdir -p "$W/www"
	"$NGINX" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/logs/error.log" \
		>"$NGINX_DIR/logs/start.log" 2>&1 ||
		{ echo "bench: nginx failed to start:" >&2; cat "$NGINX_DIR/logs/start.log" "$NGINX_DIR/logs/error.log" >&2 2>/dev/null; exit 1; }
	for _ in $(seq 50); do [ -s "$NGINX_DIR/nginx.pid" ] && break; sleep 0.1; done
	[ -s "$NGINX_DIR/nginx.pid" ] || { echo "bench: nginx wrote no pid file in 5 s" >&2; exit 1; }
	PORT=$port
}

log_lines() { wc -l <"$NGINX_DIR/logs/access.log"; }
# log_since N: "requests bytes_sent body_bytes_sent request_length statuses"
# over the access log lines after line N
log_since() {
	tail -n +"$(($1 + 1))" "$NGINX_DIR/logs/access.log" |
		awk '{ n++; b += $4; bb += $5; r += $6; st = st (st ? "," : "") $3 }
		     END { printf "%d %d %d %d %s\n", n, b, bb, r, (st ? st : "-") }'
}

# --- one kit size ----------------------------------------------------------------
gen_kit() { # SIZE FILES BYTES
	local dir=$BENCH/kits/$1 args
	args=(--name "bench-$1" --seed "$SEED" --files "$2" --bytes "$3")
	if "$PY" "$HERE/gen_campaign.py" "$dir" "${args[@]}" --check; then
		echo "bench: reusing $dir (same seed and parameters)"
	else
		echo "bench: generating the $1 kit ($2 files, $(($3 >> 20)) MiB, seed $SEED)"
		"$PY" "$HERE/gen_campaign.py" "$dir" "${args[@]}"
	fi
	"$BIN/kit-publish" validate "$dir" >"$W/validate.out" 2>&1 ||
		{ echo "bench: kit-publish validate $dir failed:" >&2; head -20 "$W/validate.out" >&2; exit 1; }
}

bench_size() {
	local size=$1 files bytes kit work arch url r n0 st
	case $size in
	small) files=200 bytes=$((30 << 20)) ;;
	large) files=2000 bytes=$((1 << 30)) ;;
	esac
	kit=$BENCH/kits/$size
	work=$W/$size
	mkdir -p "$work"
	gen_kit "$size" "$files" "$bytes"
	meta "$size" source_files "$(find "$kit" -type f | wc -l)"
	meta "$size" source_bytes "$(du -sb "$kit" | cut -f1)"

	# The exact files kit-publish archives (manifest.json and index.html
	# included), so both sides of the build pair compress the same bytes.
	echo "bench: $size: kit-publish build vs tar | zstd -T1 -$LEVEL + sha256sum ($RUNS runs)"
	# (kit-publish build writes the archive the standard tools download
	# below, served beside the repository: kit-publish publish writes
	# archives only when asked, and kit-fetch installs from the packs)
	"$BIN/kit-publish" build "$kit" --out "$W/www/$size-archive" --quiet
	arch=$(find "$W/www/$size-archive" -name 'global.tar.zst' | head -1)
	meta "$size" archive_bytes "$(stat -c %s "$arch")"
	mkdir -p "$work/files"
	tar --zstd --warning=no-timestamp -xf "$arch" -C "$work/files"
	meta "$size" kit_files "$(find "$work/files" -type f | wc -l)"
	meta "$size" kit_bytes "$(find "$work/files" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')"
	meta "$size" index_html_bytes "$(stat -c %s "$work/files/index.html" 2>/dev/null || echo 0)"
	for r in $(seq "$RUNS"); do
		timed "$size" publish_build "$r" "$BIN/kit-publish" build "$kit" --out "$work/out" --quiet
		rm -rf "$work/out"
		if [ -n "$EATMYDATA" ]; then
			timed "$size" publish_build_nosync "$r" "$EATMYDATA" "$BIN/kit-publish" build "$kit" --out "$work/out" --quiet
			rm -rf "$work/out"
		fi
		timed "$size" std_tar_zstd "$r" bash -c 'tar --sort=name --format=pax --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf - . | zstd -T1 -"$2" -q -c >"$3"' \
			_ "$work/files" "$LEVEL" "$work/std.tar.zst"
		[ "$r" = 1 ] && meta "$size" std_archive_bytes "$(stat -c %s "$work/std.tar.zst")"
		rm -f "$work/std.tar.zst"
		timed "$size" std_sha256 "$r" bash -c 'cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum >"$2"' \
			_ "$work/files" "$work/sums"
		rm -f "$work/sums"
	done
	rm -rf "$work/files"

	# A repository served by nginx.
	echo "bench: $size: kit-fetch update vs curl + sha256sum + tar, and the transfer floors ($RUNS runs)"
	"$BIN/kit-publish" init --repo "$W/www/$size" --keys "$work/keys" --quiet
	"$BIN/kit-publish" publish "$kit" --repo "$W/www/$size" --keys "$work/keys" --quiet
	# as if published two minutes ago: a younger timestamp's Last-Modified
	# is no validator (RFC 9110 8.8.2.2), and the unchanged run below
	# measures the conditional GET
	touch -d "@$(($(date +%s) - 120))" "$W/www/$size/metadata/timestamp.json"
	url=http://127.0.0.1:$PORT/$size
	local aurl=http://127.0.0.1:$PORT/${arch#"$W/www/"}
	for r in $(seq "$RUNS"); do
		st=$work/state
		rm -rf "$st"
		"$BIN/kit-fetch" init --state "$st" --root "$W/www/$size/metadata/1.root.json" --url "$url" >/dev/null 2>&1 ||
			{ echo "bench: kit-fetch init failed" >&2; "$BIN/kit-fetch" init --state "$st" --root "$W/www/$size/metadata/1.root.json" --url "$url" --force; exit 1; }
		n0=$(log_lines)
		timed "$size" fetch_update "$r" "$BIN/kit-fetch" update --state "$st" --quiet
		[ -d "$st/kits/bench-$size/current/" ] || { echo "bench: kit-fetch update installed nothing under $st/kits/bench-$size/current" >&2; exit 1; }
		meta "$size" "fetch_log_$r" "$(log_since "$n0")"
		# where the first install came from: archives, packs (requests)
		meta "$size" "fetch_from_$r" "$(tail -n +"$((n0 + 1))" "$NGINX_DIR/logs/access.log" |
			awk '$2 ~ /\.tar\.zst$/ { a++ } $2 ~ /^\/[a-z]*\/packs\// { p++ } END { printf "%d %d\n", a, p }')"
		n0=$(log_lines)
		timed "$size" fetch_unchanged "$r" "$BIN/kit-fetch" update --state "$st" --quiet
		meta "$size" "unchanged_log_$r" "$(log_since "$n0")"
		rm -rf "$st"
		if [ -n "$EATMYDATA" ]; then
			"$BIN/kit-fetch" init --state "$st" --root "$W/www/$size/metadata/1.root.json" --url "$url" >/dev/null 2>&1
			timed "$size" fetch_update_nosync "$r" "$EATMYDATA" "$BIN/kit-fetch" update --state "$st" --quiet
			rm -rf "$st"
		fi

		rm -rf "$work/naive"
		mkdir -p "$work/naive/x"
		timed "$size" naive_pipeline "$r" bash -c 'cd "$1" && curl -sSf -o f "$2" && sha256sum f >/dev/null && tar --zstd --warning=no-timestamp -xf f -C x' \
			_ "$work/naive" "$aurl"
		rm -rf "$work/naive"
		timed "$size" floor_transfer "$r" curl -sSf -o /dev/null "$aurl"
		timed "$size" floor_transfer_zstd "$r" bash -c 'set -o pipefail; curl -sSf "$1" | zstd -dc >/dev/null' _ "$aurl"
		# Diagnostic: the same bytes written out as files and synced to
		# disk, nothing verified: what the disk work alone costs here.
		rm -rf "$work/wfloor"
		mkdir -p "$work/wfloor"
		timed "$size" floor_write_sync "$r" bash -c 'set -o pipefail; curl -sSf "$1" | zstd -dc | tar --warning=no-timestamp -xf - -C "$2" && sync -f "$2"' _ "$aurl" "$work/wfloor"
		rm -rf "$work/wfloor"
	done
	bench_updates "$size" "$kit" "$url"
	if [ "${BENCH_PROFILE:-0}" = 1 ]; then profile "$size" "$kit" "$url"; fi
	rm -rf "$W/www/$size" "$W/www/$size-archive" "$work"
}

# bench_updates SIZE KIT URL (issue 18): an office with the kit installed
# updates after one post was edited, then after one ~2 MB image was
# replaced; bytes and requests from nginx's log, all metadata included.
# The campaign is a copy of KIT whose files are hard links, but for the
# two that change.  Then the repository's bytes: packs against the kit's
# unique content, and the archives beside them.
bench_updates() {
	local size=$1 kit=$2 url=$3 work=$W/$1 camp=$W/$1/camp st=$W/$1/ustate repo=$W/www/$1 n0 img
	echo "bench: $size: updates after one post edited and one image replaced"
	rm -rf "$camp" "$st"
	cp -al "$kit" "$camp"
	"$BIN/kit-fetch" init --state "$st" --root "$repo/metadata/1.root.json" --url "$url" >/dev/null 2>&1
	"$BIN/kit-fetch" update --state "$st" --quiet
	meta "$size" repo_packs_v1 "$(du -sb "$repo/packs" | cut -f1)"
	# one post edited: its text, in campaign.json (a copy, not the link)
	cp --remove-destination "$kit/campaign.json" "$camp/campaign.json"
	"$PY" - "$camp/campaign.json" <<-'EOF'
	import json, sys
	p = sys.argv[1]
	c = json.load(open(p))
	c["posts"][0]["text"] = c["posts"][0]["text"].replace(" #KitBench", ", corrected #KitBench", 1)
	json.dump(c, open(p, "w"), indent=2, ensure_ascii=False)
	EOF
	timed "$size" publish_post 1 "$BIN/kit-publish" publish "$camp" --repo "$repo" --keys "$work/keys" --quiet
	meta "$size" repo_packs_v2 "$(du -sb "$repo/packs" | cut -f1)"
	n0=$(log_lines)
	timed "$size" update_post 1 "$BIN/kit-fetch" update --state "$st" --quiet
	meta "$size" post_log "$(log_since "$n0")"
	# the largest image (1.7 MB in the large kit) replaced by new bytes of
	# the same size
	img=$(find "$camp/media" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2-)
	meta "$size" image_bytes "$(stat -c %s "$img")"
	head -c "$(stat -c %s "$img")" /dev/urandom >"$img.new"
	mv "$img.new" "$img"
	timed "$size" publish_image 1 "$BIN/kit-publish" publish "$camp" --repo "$repo" --keys "$work/keys" --quiet
	meta "$size" repo_packs_v3 "$(du -sb "$repo/packs" | cut -f1)"
	n0=$(log_lines)
	timed "$size" update_image 1 "$BIN/kit-fetch" update --state "$st" --quiet
	meta "$size" image_log "$(log_since "$n0")"
	"$BIN/kit-fetch" verify --state "$st" --quiet ||
		{ echo "bench: kit-fetch verify failed after the updates" >&2; exit 1; }
	meta "$size" repo_packs_bytes "$(du -sb "$repo/packs" | cut -f1)"
	meta "$size" repo_archive_bytes "$(find "$repo/targets" -name '*.tar.zst' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }')"
	# every distinct content of the three versions, once: the catalog's objects
	meta "$size" unique_content_bytes "$("$PY" -c 'import json,sys; print(sum(o[1] for o in json.load(open(sys.argv[1]))["objects"]))' "$repo/packs/catalog.json")"
	meta "$size" index_bytes "$(ls -S "$repo"/packs/*.idx | head -1 | xargs stat -c %s)"
	rm -rf "$camp" "$st"
}

# profile SIZE KIT URL: where the time goes, into $BENCH/profile/SIZE-*.
# perf with the cpu-clock software event (hardware counters are often
# missing in VMs); without perf, callgrind on the small kit only.
profile() {
	local size=$1 kit=$2 url=$3 p=$BENCH/profile st=$W/$1/pstate prog
	mkdir -p "$p"
	echo "bench: $size: profiling into $p"
	fetch_fresh() {
		rm -rf "$st"
		"$BIN/kit-fetch" init --state "$st" --root "$W/www/$size/metadata/1.root.json" --url "$url" >/dev/null 2>&1
	}
	if command -v perf >/dev/null 2>&1 && perf record -e cpu-clock -o /dev/null true >/dev/null 2>&1; then
		for prog in build fetch; do
			sync
			if [ $prog = build ]; then
				perf record -q -e cpu-clock -F 999 -g -o "$p/$size-build.perf" \
					"$BIN/kit-publish" build "$kit" --out "$W/$size/pout" --quiet
				rm -rf "$W/$size/pout"
			else
				fetch_fresh
				perf record -q -e cpu-clock -F 999 -g -o "$p/$size-fetch.perf" \
					"$BIN/kit-fetch" update --state "$st" --quiet
			fi
			{
				echo "# CPU by library (perf, cpu-clock, self time)"
				perf report -i "$p/$size-$prog.perf" --no-children --sort dso --stdio -g none 2>/dev/null | awk '/%/'
				echo "# CPU by function, including callees (top 40)"
				perf report -i "$p/$size-$prog.perf" --children --sort dso,symbol --stdio -g none 2>/dev/null | awk '/%/ && n++ < 40'
			} >"$p/$size-$prog.perf.txt" || true
		done
	elif command -v valgrind >/dev/null 2>&1 && [ "$size" = small ]; then
		valgrind --tool=callgrind --callgrind-out-file="$p/$size-build.callgrind" \
			"$BIN/kit-publish" build "$kit" --out "$W/$size/pout" --quiet >/dev/null 2>&1 || true
		rm -rf "$W/$size/pout"
		fetch_fresh
		valgrind --tool=callgrind --callgrind-out-file="$p/$size-fetch.callgrind" \
			"$BIN/kit-fetch" update --state "$st" --quiet >/dev/null 2>&1 || true
		for prog in build fetch; do
			callgrind_annotate "$p/$size-$prog.callgrind" 2>/dev/null | awk 'NR <= 60' >"$p/$size-$prog.callgrind.txt" || true
		done
	fi
	if command -v strace >/dev/null 2>&1; then
		sync
		strace -f -c -w -o "$p/$size-build.strace.txt" \
			"$BIN/kit-publish" build "$kit" --out "$W/$size/pout" --quiet || true
		rm -rf "$W/$size/pout"
		fetch_fresh
		sync
		strace -f -c -w -o "$p/$size-fetch.strace.txt" \
			"$BIN/kit-fetch" update --state "$st" --quiet || true
	fi
	rm -rf "$st"
	find "$p" -name "$size-*.txt" | sort | sed "s/^/bench:   /"
}

start_nginx
if [ "${BENCH_SCENARIO:-kits}" = org ]; then
	# shellcheck source=tests/bench/org.sh
	. "$HERE/org.sh"
	meta all started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	t_start=$SECONDS
	bench_org
	echo "bench: org scenario took $((SECONDS - t_start)) s"
	exit 0
fi
if [ "${BENCH_SCENARIO:-kits}" = store ]; then
	# shellcheck source=tests/bench/store.sh
	. "$HERE/store.sh"
	meta all started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	t_start=$SECONDS
	bench_store
	echo "bench: store scenario took $((SECONDS - t_start)) s"
	exit 0
fi
meta all level "$LEVEL"
meta all runs "$RUNS"
meta all seed "$SEED"
meta all nproc "$(nproc)"
meta all kernel "$(uname -r)"
meta all cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
meta all zstd "$(zstd -V | head -1)"
meta all started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
meta all load_start "$(cut -d' ' -f1 /proc/loadavg)"
t_start=$SECONDS
for s in $SIZES; do
	bench_size "$s"
done
meta all seconds "$((SECONDS - t_start))"
meta all load_end "$(cut -d' ' -f1 /proc/loadavg)"
"$PY" "$HERE/report.py" "$RAW" "$META" "$BENCH/results.json"
