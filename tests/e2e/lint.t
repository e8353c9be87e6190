#!/usr/bin/env bash
# make lint (tests/lint.sh): a file clang-format would change and a call to a
# banned function are each refused with one line naming the place.
. "$(dirname "$0")/lib.sh"
L="$KIT_SRC/tests/lint.sh"
# files as the formatter writes them, so that only what is planted counts
fmt() { clang-format -i --style="file:$KIT_SRC/.clang-format" "$1"; }
mkdir -p "$T/pkg/x" "$T/tests"

printf '#include <string.h>\nstatic int f(void) { return 1; }\n' >"$T/pkg/x/good.c"
fmt "$T/pkg/x/good.c"
check "a file in the house format passes" "$L" "$T/pkg/x/good.c"

printf '#include <string.h>\nstatic int\nf(void)\n{\n  return 1;\n}\n' >"$T/pkg/x/ugly.c"
expect_exit 1 "a file clang-format would change is refused" "$L" "$T/pkg/x/ugly.c"
expect_msg "with its place and what to run" "ugly\.c:[0-9]+: not formatted as \.clang-format says; run 'make format'"

cat >"$T/pkg/x/banned.c" <<'C'
#include <stdio.h>
#include <string.h>
static int f(char *b, const char *s) { strcpy(b, s); return sprintf(b, "%s", s) + atoi(s); }
C
fmt "$T/pkg/x/banned.c"
expect_exit 1 "strcpy, sprintf and atoi are refused" "$L" "$T/pkg/x/banned.c"
expect_msg "strcpy, with what to use" "banned\.c:[0-9]+: strcpy\(\) is banned: use snprintf"
expect_msg "sprintf" "banned\.c:[0-9]+: sprintf\(\) is banned: use snprintf"
expect_msg "atoi" "banned\.c:[0-9]+: atoi\(\) is banned: use kit_num_parse"

cat >"$T/pkg/x/words.c" <<'C'
/* strcpy(a, b) and gets() in a comment are words */
static const char *s = "sprintf(x) in a string is text";
static int
my_atoi(const char *p)
{
	return p[0] == 'x' ? s[0] : 0;
}
C
fmt "$T/pkg/x/words.c"
check "a banned name in a comment, a string or inside another name is not a call" "$L" "$T/pkg/x/words.c"

cat >"$T/pkg/x/run.c" <<'C'
#include <stdlib.h>
static int f(void) { return system("true"); }
C
fmt "$T/pkg/x/run.c"
cp "$T/pkg/x/run.c" "$T/tests/run.c"
expect_exit 1 "system() is refused in pkg/" "$L" "$T/pkg/x/run.c"
expect_msg "with what to use" "run\.c:[0-9]+: system\(\) is banned"
check "and allowed in a test" "$L" "$T/tests/run.c"
