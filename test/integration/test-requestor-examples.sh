#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-requestor-examples.sh - the examples of docs/requestors.md are the
# files in docs/examples/, word for word, and they work: the C program (built
# as backup-example), the Python one (python3-dbus) and the busctl one each
# snapshot two paths, read a file from each snapshot, complete and delete
# the set, and leave nothing behind.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
DOC=$STASIS_SRC/docs/requestors.md
EXAMPLE=${STASIS_REQUESTOR_EXAMPLE:-$STASIS_BUILD_DIR/test/helpers/backup-example}
[ -x "$EXAMPLE" ] || stasis_die "build the test helpers first ($EXAMPLE)"

# The doc includes each file whole, in the fenced block after its marker
# "<!-- example: examples/NAME -->".
n=0
while read -r f; do
        got=$(awk -v m="<!-- example: $f -->" '
                $0 == m { on = 1; next }
                on == 1 && /^```/ { on = 2; next }
                on == 2 && /^```$/ { exit }
                on == 2 { print }' "$DOC")
        [ "$got" = "$(cat "$STASIS_SRC/docs/$f")" ] ||
                stasis_die "docs/requestors.md and docs/$f differ: $(diff <(echo "$got") "$STASIS_SRC/docs/$f" | head -n 5)"
        n=$((n + 1))
done < <(sed -n 's/^<!-- example: \(.*\) -->$/\1/p' "$DOC")
assert_eq "$n" 3 "examples in docs/requestors.md"
for f in backup.c backup.py backup-busctl.sh; do
        grep -qx "<!-- example: examples/$f -->" "$DOC" || stasis_die "docs/requestors.md does not include examples/$f"
done

stasis_setup
stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/home"
btrfs -q subvolume create "$P/db"
mkdir "$P/db/data"
echo "hello" > "$P/home/notes"
head -c 1000 /dev/zero > "$P/db/data/table"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import dbus' ||
        stasis_die "python3-dbus is missing (scripts/install-deps.sh installs it)"

check() {      # check NAME OUTPUT: what each example prints and leaves
        assert_contains "$2" "volume $P/home: reading $P/home/.stasis/" "$1"
        assert_contains "$2" "volume $P/db/data: reading $P/db/.stasis/" "$1"
        assert_eq "$(stasis_count_sets)" 0 "$1 leaves no set"
        [ -z "$(find "$P/home/.stasis" "$P/db/.stasis" -mindepth 1 -maxdepth 1 2>/dev/null)" ] || stasis_die "$1 left a snapshot"
}

out=$("$EXAMPLE" "$P/home" "$P/db/data")
assert_contains "$out" "/notes: 6 bytes" "C example"
assert_contains "$out" "/data/table: 1000 bytes" "C example"
check "C example" "$out"

out=$(/usr/bin/python3 "$STASIS_SRC/docs/examples/backup.py" "$P/home" "$P/db/data")
assert_contains "$out" "/notes: 6 bytes" "Python example"
assert_contains "$out" "/data/table: 1000 bytes" "Python example"
check "Python example" "$out"

out=$(sh "$STASIS_SRC/docs/examples/backup-busctl.sh" "$P/home" "$P/db/data")
check "busctl example" "$out"

# A failure is reported with its error name, and nothing is left.
rc=0
out=$("$EXAMPLE" "$P/nope" 2>&1) || rc=$?
assert_eq "$rc" 1 "C example, a path that does not exist"
assert_contains "$out" "(org.stasis1.Error.NoSuchPath)"
rc=0
out=$(/usr/bin/python3 "$STASIS_SRC/docs/examples/backup.py" "$P/nope" 2>&1) || rc=$?
assert_eq "$rc" 1 "Python example, a path that does not exist"
assert_contains "$out" "(org.stasis1.Error.NoSuchPath)"
echo "ok"
