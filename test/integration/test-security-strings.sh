#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-security-strings.sh - strings from callers and from the system: a
# path that is not UTF-8 (given, behind a symlink, in a writer's component)
# is refused with a clear error before anything is made, and never makes
# stasisd unable to answer GetManagedObjects or show, nor does a writer's
# message cut short; labels with control or
# bidi control characters are refused; names with terminal escapes are
# shown escaped by the CLI and exactly in --json; a set recorded by an older
# stasisd with a path that is not UTF-8 does not break anyone's calls.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_setup

stasis_make_fs btrfs pool
P=$STASIS_FS
btrfs -q subvolume create "$P/vol"
chmod 755 "$STASIS_TMP" "$STASIS_TMP/mnt"
BUSCTL=(busctl --address="$STASIS_BUS_ADDRESS")

# GetManagedObjects and `stasis show` answer, for root and for nobody.
objects_answer() {
        "${BUSCTL[@]}" call org.stasis1 /org/stasis1 org.freedesktop.DBus.ObjectManager GetManagedObjects \
                >/dev/null || stasis_die "GetManagedObjects fails for root"
        stasis_as_nobody "${BUSCTL[@]}" call org.stasis1 /org/stasis1 org.freedesktop.DBus.ObjectManager \
                GetManagedObjects >/dev/null || stasis_die "GetManagedObjects fails for nobody"
        stasis_as_nobody "$STASIS" list >/dev/null || stasis_die "stasis list fails for nobody"
}
no_sets_left() {
        assert_eq "$(stasis_count_sets)" 0 "${1:-a refused request} left a set"
        [ ! -e "$P/vol/.stasis" ] || [ -z "$(ls -A "$P/vol/.stasis")" ] || stasis_die "${1:-a refused request} left a snapshot"
}

bad=$(printf 'bad\xff\xfe')
mkdir "$P/vol/$bad"
ln -s "$P/vol/$bad" "$P/link"

# 1. A path that is not UTF-8, given on the command line: the CLI says so.
assert_exit 2 "$STASIS" create "$P/vol/$bad"
assert_contains "$STASIS_ERR" 'is not UTF-8'
assert_contains "$STASIS_ERR" 'bad\xff\xfe'
assert_exit 2 "$STASIS" volumes "$P/vol/$bad"
no_sets_left "a path that is not UTF-8"

# 2. A UTF-8 path that resolves (through a symlink) to one that is not:
# stasisd refuses it before it records anything.
assert_exit 2 "$STASIS" create "$P/link"
assert_contains "$STASIS_ERR" "Path $P/link resolves to \"$P/vol/bad\\xff\\xfe\", which is not UTF-8"
case $STASIS_ERR in *$'\xff'*) stasis_die "the error quotes the raw byte: $STASIS_ERR" ;; esac
no_sets_left "a symlink to a path that is not UTF-8"
# The caller's path is quoted cut, however long it is (3000 slashes here).
slashes=$(printf '/%.0s' $(seq 3000))
assert_exit 2 "$STASIS" create "$P$slashes""link"
assert_contains "$STASIS_ERR" "which is not UTF-8"
[ "${#STASIS_ERR}" -lt 1024 ] || stasis_die "the error quotes the caller's path whole (${#STASIS_ERR} bytes)"
no_sets_left "a long path to a path that is not UTF-8"
objects_answer
# The same over D-Bus, as root; as nobody it is refused before any path is looked at.
out=$("${BUSCTL[@]}" call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet 'asa{sv}' 1 "$P/link" 0 2>&1) &&
        stasis_die "CreateSet of a symlink to a path that is not UTF-8 succeeded: $out"
assert_contains "$out" "which is not UTF-8"
out=$("${BUSCTL[@]}" call org.stasis1 /org/stasis1 org.stasis1.Manager ResolvePaths as 1 "$P/link" 2>&1) &&
        stasis_die "ResolvePaths of a symlink to a path that is not UTF-8 succeeded: $out"
assert_contains "$out" "which is not UTF-8"
out=$(stasis_as_nobody "${BUSCTL[@]}" call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet 'asa{sv}' \
      1 "$P/link" 0 2>&1) && stasis_die "nobody made a set"
assert_contains "$out" "Permission denied"
no_sets_left "CreateSet over D-Bus"
objects_answer

# A mount whose source (from /proc/self/mountinfo) is not UTF-8.
mkdir "$STASIS_TMP/weird"
mount -t tmpfs "src$(printf '\xff')" "$STASIS_TMP/weird"
stasis_track_mount "$STASIS_TMP/weird"
assert_exit 2 "$STASIS" create "$STASIS_TMP/weird"
assert_contains "$STASIS_ERR" "Path $STASIS_TMP/weird is on the device \"src\\xff\", which is not UTF-8"
assert_exit 2 "$STASIS" volumes "$STASIS_TMP/weird"
no_sets_left "a mount whose source is not UTF-8"
objects_answer

# 3. A writer's component path that resolves to a path that is not UTF-8:
# the set that would include it fails, naming the component.
mkdir "$P/vol/app"
ln -s "$P/vol/$bad" "$P/applink"
stasis_start_writer --name app --component data="$P/applink"
WPID=$STASIS_WRITER_PID
assert_exit 2 "$STASIS" create --component app
assert_contains "$STASIS_ERR" "Component app:data: Path $P/applink resolves to"
assert_contains "$STASIS_ERR" "not UTF-8"
no_sets_left "a component path that is not UTF-8"
objects_answer
stasis_stop_writer "$WPID"

# 4. Labels: no control characters (C0, DEL, C1) and no bidi controls.
for label in $'esc\e[31m' $'c1\xc2\x9b31m' $'bidi\xe2\x80\xaefdp.exe' $'lri\xe2\x81\xa6x' $'lrm\xe2\x80\x8e' $'del\x7f'; do
        assert_exit 2 "$STASIS" create --label "$label" "$P/vol"
        assert_contains "$STASIS_ERR" "Label "
        assert_contains "$STASIS_ERR" "contains the control character"
        case $STASIS_ERR in *$'\e'*|*$'\xc2\x9b'*|*$'\xe2\x80\xae'*) stasis_die "the error quotes the raw character" ;; esac
done
assert_exit 2 "$STASIS" create --label "$(printf 'u\xff')" "$P/vol"
assert_contains "$STASIS_ERR" "is not UTF-8"
out=$("${BUSCTL[@]}" call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet 'asa{sv}' 1 "$P/vol" \
      1 label s $'x\xe2\x80\xaey' 2>&1) && stasis_die "CreateSet took a label with U+202E: $out"
assert_contains "$out" 'contains the control character U+202E'
no_sets_left "a bad label"
"$STASIS" create --label $'caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac' "$P/vol" >/dev/null
assert_eq "$("$STASIS" --json show 1 | jq -r .label)" $'caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac' "a UTF-8 label"
"$STASIS" delete 1 >/dev/null

# 5. A directory whose name holds a terminal escape: the CLI shows it
# escaped, --json exactly.
esc=$'\e[31mred\e]0;title\a'
mkdir "$P/vol/$esc"
out=$("$STASIS" create "$P/vol/$esc")
id=$("$STASIS" --json list | jq -r '.[0].id')
for cmd in "create" "show $id" "list" "volumes $P/vol/$esc" ; do
        case $cmd in
        create) text=$out ;;
        volumes*) text=$("$STASIS" volumes "$P/vol/$esc") ;;
        *) text=$("$STASIS" $cmd) ;;
        esac
        case $text in *$'\e'*|*$'\a'*) stasis_die "stasis $cmd prints a raw escape: $(printf %q "$text")" ;; esac
done
text=$("$STASIS" show "$id")
assert_contains "$text" "$P/vol/\\e[31mred\\e]0;title\\a" "show escapes the path"
assert_eq "$("$STASIS" --json show "$id" | jq -r '.volumes[0].path')" "$P/vol/$esc" "--json has the exact path"
assert_eq "$("$STASIS" --json volumes "$P/vol/$esc" | jq -r '.[0].path')" "$P/vol/$esc" "volumes --json"
# A writer's component path, and its last error, in `stasis writers`.
stasis_start_writer --name esc --component data="$P/vol/$esc"
WPID=$STASIS_WRITER_PID
text=$("$STASIS" writers)
case $text in *$'\e'*|*$'\a'*) stasis_die "stasis writers prints a raw escape: $(printf %q "$text")" ;; esac
assert_contains "$text" "$P/vol/\\e[31mred"
assert_eq "$("$STASIS" --json writers | jq -r '.[0].metadata.components[0].paths[0]')" "$P/vol/$esc" "writers --json"
stasis_stop_writer "$WPID"
"$STASIS" delete "$id" >/dev/null

# 6. A writer's veto reason long enough to be cut short, of two-byte
# characters: cut where a character starts, so the set, its components and
# the writer's last error can still be sent to anyone.
mkdir "$P/vol/veto"
long=$(printf '\xc3\xa9%.0s' $(seq 600))
stasis_start_writer --name veto --component data="$P/vol/veto" --fault "PrepareSnapshot:veto:$long"
WPID=$STASIS_WRITER_PID
"$STASIS" create --component veto >/dev/null
id=$("$STASIS" --json list | jq -r '.[0].id')
objects_answer
"$STASIS" show "$id" >/dev/null || stasis_die "show fails on a set with a writer's long veto reason"
stasis_as_nobody "$STASIS" writers >/dev/null || stasis_die "stasis writers fails after a long veto reason"
assert_contains "$("$STASIS" --json show "$id" | jq -r '.components[0].reason')" $'vetoed PrepareSnapshot: \xc3\xa9'
stasis_stop_writer "$WPID"
"$STASIS" delete "$id" >/dev/null

# 7. A set recorded by an older stasisd with a path that is not UTF-8 (as
# this test plants it): stasisd starts, GetManagedObjects and show answer
# for everyone, the path is shown with U+FFFD, and the set can be deleted.
mkdir "$P/vol/legacy"
"$STASIS" create "$P/vol/legacy" >/dev/null
id=$("$STASIS" --json list | jq -r '.[0].id')
stasis_stop_daemon
sqlite3 "$STASIS_STATE_DIR/catalog.db" "UPDATE volumes SET path = CAST(path || X'FFFE' AS TEXT)"
stasis_start_daemon
objects_answer
"$STASIS" show "$id" >/dev/null || stasis_die "show fails on a set with a path that is not UTF-8"
assert_contains "$("$STASIS" --json show "$id" | jq -r '.volumes[0].path')" $'legacy\xef\xbf\xbd\xef\xbf\xbd'
assert_contains "$(cat "$STASIS_TMP/stasisd.log")" "not UTF-8"
"$STASIS" delete "$id" >/dev/null
no_sets_left "deleting the old set"
echo "ok"
