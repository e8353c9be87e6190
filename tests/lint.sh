#!/usr/bin/env bash
# lint.sh [FILE...]: the house format and the banned functions (make lint).
# Without arguments: every C file of the repository (cmd, pkg, tests).
#  - format: each file must be as clang-format makes it with the
#    repository's .clang-format (make format applies it);
#  - banned: no call to a function that overflows, races or cannot report
#    an error (strcpy, sprintf, strtok, atoi, ...), outside comments and
#    string literals; in cmd/ and pkg/ no system(), popen() or alloca()
#    either.
# Each finding is one line on stderr (FILE:LINE: what; what to do).
# Exit 0 when clean, 1 otherwise.
set -u
root=$(cd "$(dirname "$0")/.." && pwd) || exit 1
if [ $# -eq 0 ]; then
	cd "$root" || exit 1
	mapfile -t files < <(find cmd pkg tests -name '*.[ch]' -not -path '*/corpus/*' -not -path '*/node_modules/*' | LC_ALL=C sort)
else
	files=("$@")
fi
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
rc=0
if ! command -v "$CLANG_FORMAT" >/dev/null; then
	echo "lint: $CLANG_FORMAT is missing; as root run: apt-get install clang-format (or make deps-check)" >&2
	exit 1
fi
# one line per file that is not formatted: its first difference; when
# clang-format fails otherwise (a file it cannot read), its first line
out=$("$CLANG_FORMAT" --style="file:$root/.clang-format" --dry-run --Werror "${files[@]}" 2>&1) || rc=1
if [ "$rc" -ne 0 ]; then
	printf '%s\n' "$out" | awk '
		/: error: code should be clang-formatted/ {
			split($0, p, ":"); f = p[1] ":" p[2]
			if (!seen[p[1]]++) print f ": not formatted as .clang-format says; run '"'"'make format'"'"'"
			n++; next
		}
		first == "" { first = $0 }
		END { if (!n) print "lint: clang-format failed: " first }' >&2
fi
perl -e '
	my %use = (
		strcpy => "snprintf", strcat => "kit_buf or snprintf", stpcpy => "snprintf",
		strncpy => "snprintf", strncat => "kit_buf or snprintf",
		sprintf => "snprintf", vsprintf => "vsnprintf", gets => "fgets",
		strtok => "strtok_r", atoi => "kit_num_parse", atol => "kit_num_parse",
		atoll => "kit_num_parse", atof => "strtod with its checks",
		tmpnam => "mkstemp or mkdtemp", tempnam => "mkstemp or mkdtemp",
		mktemp => "mkstemp or mkdtemp", rand => "RAND_bytes", srand => "RAND_bytes",
		asctime => "strftime", ctime => "strftime", gmtime => "gmtime_r",
		localtime => "localtime_r",
	);
	my %prog = (system => "posix_spawn or the library", popen => "posix_spawn or the library",
		alloca => "a buffer with a fixed cap");
	my $bad = 0;
	for my $f (@ARGV) {
		open(my $fh, "<", $f) or die "lint: cannot read $f: $!\n";
		local $/; my $s = <$fh>; close $fh;
		# comments, string and character literals become blanks (lines kept)
		$s =~ s{/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\x27(?:\\.|[^\x27\\\n])*\x27}{ (my $m = $&) =~ s/[^\n]/ /g; $m }gse;
		my $progfile = $f =~ m{(?:^|/)(?:cmd|pkg)/};
		my $n = 0;
		for my $line (split /\n/, $s, -1) {
			$n++;
			while ($line =~ /(?<!->)(?<![\w.])(\w+)\s*\(/g) {
				my $name = $1;
				my $alt = $use{$name} // ($progfile ? $prog{$name} : undef);
				next unless defined $alt;
				print STDERR "$f:$n: $name() is banned: use $alt\n";
				$bad = 1;
			}
		}
	}
	exit $bad;
' "${files[@]}" || rc=1
exit $rc
