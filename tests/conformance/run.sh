#!/usr/bin/env bash
# Run the TUF conformance suite (theupdateframework/tuf-conformance) against
# kit's client-under-test, in the plain mode and in kit-fetch's lazy-root
# mode, and print the counts and every failing test.  `make conformance`
# calls this with CLIENT and OUT set.
#
# The suite and its Python dependencies are not part of kit and are never
# copied into it.  Give their work trees (checked out anywhere outside this
# repository) with:
#   SUITE=DIR              tuf-conformance            (required, or $1)
#   PYTHON_TUF=DIR         python-tuf, tag v7.0.0 as the suite pins (default: $SUITE/../python-tuf)
#   SECURESYSTEMSLIB=DIR   securesystemslib, tag v1.4.0 (default: $SUITE/../securesystemslib)
# e.g.
#   mkdir -p ~/src && cd ~/src
#   git clone https://github.com/theupdateframework/tuf-conformance
#   git clone --branch v7.0.0 https://github.com/theupdateframework/python-tuf
#   git clone --branch v1.4.0 https://github.com/secure-systems-lab/securesystemslib
#   make conformance SUITE=~/src/tuf-conformance
# The rest comes from Debian: python3 python3-pytest python3-cryptography
# faketime (apt-get install).  No package index is needed: the three
# source trees go on PYTHONPATH.
#
# Other settings: SUITE_COMMIT (printed with the counts, for a suite that is
# not a git work tree), CONFORMANCE_MODES ("plain lazy"), CONFORMANCE_SELECT
# (a pytest -k expression, e.g. "delegation or quoting"), PYTEST_ARGS (more
# pytest arguments, split on spaces), PYTHON (/usr/bin/python3).
# Exit status: 0 when every mode passed (xfails listed by the client's
# .xfails file, if any, count as passed, as the suite defines them),
# 1 when a test failed, 2 when something needed is missing.
set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=${SUITE:-${1:-}}
CLIENT=${CLIENT:-$SRC/build/bin/kit-conformance-client}
OUT=${OUT:-$SRC/build/conformance}
PYTHON=${PYTHON:-/usr/bin/python3}
MODES=${CONFORMANCE_MODES:-plain lazy}

die() { echo "conformance: $*" >&2; exit 2; }

[ -n "$SUITE" ] || die "no suite given; set SUITE=<tuf-conformance work tree> (see the head of $0 for how to get it and its dependencies)"
SUITE=$(cd "$SUITE" 2>/dev/null && pwd) || die "SUITE=$SUITE is not a directory"
[ -f "$SUITE/tuf_conformance/conftest.py" ] || die "$SUITE holds no tuf_conformance/conftest.py; SUITE must be a tuf-conformance work tree"
PYTHON_TUF=${PYTHON_TUF:-$SUITE/../python-tuf}
SECURESYSTEMSLIB=${SECURESYSTEMSLIB:-$SUITE/../securesystemslib}
[ -f "$PYTHON_TUF/tuf/__init__.py" ] || die "no python-tuf work tree at $PYTHON_TUF; set PYTHON_TUF=DIR"
[ -f "$SECURESYSTEMSLIB/securesystemslib/__init__.py" ] || die "no securesystemslib work tree at $SECURESYSTEMSLIB; set SECURESYSTEMSLIB=DIR"
[ -x "$CLIENT" ] || die "no client at $CLIENT; run make first"
command -v faketime >/dev/null 2>&1 || die "faketime is missing; apt-get install faketime"
"$PYTHON" -c 'import pytest, cryptography' 2>/dev/null ||
	die "$PYTHON lacks pytest or cryptography; apt-get install python3-pytest python3-cryptography"
case "$SUITE" in "$SRC"/*) die "keep the suite outside this repository (it is not kit's code)";; esac

mkdir -p "$OUT" || die "cannot create $OUT"
SHIM="$OUT/pyshim"
mkdir -p "$SHIM"
# Debian 12's python3-cryptography (38) names two type aliases the way it
# did before release 40; securesystemslib 1.4 imports the new names.
cat >"$SHIM/kit_conformance_compat.py" <<'PY'
"""Aliases newer pyca/cryptography has and Debian 12's lacks (pytest plugin)."""
import cryptography.hazmat.primitives.asymmetric.types as _types

for _new, _old in (("PrivateKeyTypes", "PRIVATE_KEY_TYPES"),
                   ("PublicKeyTypes", "PUBLIC_KEY_TYPES")):
    if not hasattr(_types, _new) and hasattr(_types, _old):
        setattr(_types, _new, getattr(_types, _old))
PY

export PYTHONPATH="$SHIM:$PYTHON_TUF:$SECURESYSTEMSLIB"
export PYTHONDONTWRITEBYTECODE=1

suite_commit=${SUITE_COMMIT:-$(git -C "$SUITE" rev-parse HEAD 2>/dev/null || echo "unknown (not a git work tree: set SUITE_COMMIT)")}
echo "conformance: suite $SUITE at $suite_commit"
echo "conformance: python-tuf $("$PYTHON" -c 'import tuf; print(tuf.__version__)' 2>/dev/null), securesystemslib $("$PYTHON" -c 'import securesystemslib; print(securesystemslib.__version__)' 2>/dev/null), client $CLIENT"

status=0
for mode in $MODES; do
	case "$mode" in
	plain) entry="$CLIENT" ;;
	lazy) entry="$CLIENT --lazy-root" ;;
	*) die "unknown mode $mode (plain, lazy)" ;;
	esac
	log="$OUT/$mode.log" xml="$OUT/$mode.xml"
	echo "conformance: $mode mode ($entry), log in $log"
	# shellcheck disable=SC2086  # PYTEST_ARGS is a list of words
	(cd "$SUITE" && "$PYTHON" -m pytest -p kit_conformance_compat -p no:cacheprovider \
		-q -rfE --junitxml="$xml" ${CONFORMANCE_SELECT:+-k "$CONFORMANCE_SELECT"} \
		${PYTEST_ARGS:-} tuf_conformance \
		--entrypoint "$entry") >"$log" 2>&1
	rc=$?
	"$PYTHON" - "$xml" "$mode" "$suite_commit" <<'PY' || status=1
import sys
import xml.etree.ElementTree as ET

path, mode, commit = sys.argv[1:4]
try:
    root = ET.parse(path).getroot()
except (OSError, ET.ParseError) as e:
    print(f"conformance: {mode}: no results ({e})")
    sys.exit(1)
counts = {"passed": 0, "failed": 0, "xfailed": 0, "skipped": 0}
failed = []
for case in root.iter("testcase"):
    name = case.get("name")
    kinds = [c.tag for c in case]
    if "failure" in kinds or "error" in kinds:
        counts["failed"] += 1
        failed.append(f"{case.get('classname', '').split('.')[-1]}::{name}")
    elif "skipped" in kinds:
        msg = next(c for c in case if c.tag == "skipped").get("type", "")
        counts["xfailed" if "xfail" in msg else "skipped"] += 1
    else:
        counts["passed"] += 1
total = sum(counts.values())
print(f"conformance: {mode}: {counts['passed']} passed, {counts['failed']} failed, "
      f"{counts['xfailed']} xfailed, {counts['skipped']} skipped of {total} (suite {commit})")
for f in failed:
    print(f"conformance: {mode}: FAILED {f}")
sys.exit(1 if counts["failed"] or total == 0 else 0)
PY
	[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || { echo "conformance: $mode: pytest exited $rc; see $log" >&2; status=1; }
done
exit $status
