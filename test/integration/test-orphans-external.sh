#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-orphans-external.sh - orphans of external providers: a loopclone set
# whose catalog record is lost is listed as an orphan (the provider's list
# verb), adopted back and deleted; set ids stay above its clones; a provider
# whose list answer is garbage, too big or names snapshots stasisd could not
# have made is refused whole, with a clear log line, and nothing is deleted.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
PROVIDER=${STASIS_PROVIDER_LOOPCLONE:-$STASIS_BUILD_DIR/src/providers/exec/stasis-provider-loopclone}
[ -x "$PROVIDER" ] || stasis_die "no provider at $PROVIDER (build it first)"
command -v mkfs.xfs >/dev/null || { echo "SKIP: needs mkfs.xfs"; exit 77; }
export STASIS_ORPHAN_SCAN=yes

stasis_env_init
stasis_start_bus
T=$STASIS_TMP

# An ext4 image on an xfs pool, taken by loopclone; its clones go to a store
# on the pool.
stasis_make_fs xfs xpool 512M
XPOOL=$STASIS_FS
truncate -s 32M "$XPOOL/e.img"
mkfs.ext4 -q -F "$XPOOL/e.img"
EDEV=$(losetup --find --show "$XPOOL/e.img")
stasis_track_loop "$EDEV"
E=$T/mnt/e
mkdir -p "$E"
mount "$EDEV" "$E"
stasis_track_mount "$E"
echo e > "$E/f"
STORE=$XPOOL/store
stasis_install_provider loopclone "$PROVIDER" STASIS_LOOPCLONE_STORE="$STORE"

# A second provider, "zevil" (asked after loopclone), that takes no volume
# and answers list with the contents of $T/evil-answer (an unknown verb when
# it is empty), once $T/evil-gate is gone if it is there; it records every
# delete it is asked for.
cat > "$T/evil" <<'EOF'
#!/bin/sh
cat >/dev/null
case $1 in
probe)  echo '{"version": 1, "supported": false}' ;;
list)   if [ -e "$GATE" ]; then
                : > "$GATE.listing"
                while [ -e "$GATE" ]; do sleep 0.05; done
        fi
        if [ -s "$ANSWER" ]; then cat "$ANSWER"; else
                echo '{"version": 1, "error": "evil: unknown verb list"}'; exit 1; fi ;;
delete) echo delete >> "$DELETED"; echo '{"version": 1}' ;;
exists) echo '{"version": 1, "exists": true}' ;;
*)      echo '{"version": 1, "error": "evil: unknown verb"}'; exit 1 ;;
esac
EOF
chmod 755 "$T/evil"
: > "$T/evil-answer"
: > "$T/evil-deleted"
stasis_install_provider zevil "$T/evil" ANSWER="$T/evil-answer" DELETED="$T/evil-deleted" GATE="$T/evil-gate"
export STASISD_ARGS="--providers-dir=$T/providers.d"
LOG=$T/stasisd.log
# The stores of every btrfs file system on the machine are scanned too, with
# other test runs' sets in them, whose orphans an adoption by set id would
# take as well: keep this test's ids far above theirs, through a clone in
# its own store.
mkdir -p "$STORE"
chmod 700 "$STORE"
: > "$STORE/stasis-2000000-0.img"
stasis_start_daemon
"$STASIS" delete-orphan stasis-2000000-0 >/dev/null

create() { "$STASIS" --json create "$@" | jq -r .id; }
# The orphans of the external providers (btrfs stores of other test runs may
# be listed too).
orphans() {
        "$STASIS" --json list --orphans |
                jq -c '[.[] | select(.provider != "btrfs") | [.set, .index, .provider, .handle]] | sort'
}
rescan() { "$STASIS" list --orphans --rescan >/dev/null; }

# A provider that does not know list: said once per scan, stasisd goes on.
grep -q "Cannot list the snapshots of provider zevil: .*unknown verb list" "$LOG" ||
        stasis_die "no log line for a provider that cannot list"

S1=$(create "$E")
[ "$S1" -gt 2000000 ] || stasis_die "set id $S1 after a clone of set 2000000 in the store"
S2=$(create "$E")
[ -f "$STORE/stasis-$S2-0.img" ] || stasis_die "set $S2 has no clone"
assert_eq "$(orphans)" "[]" "no orphans while the catalog knows every clone"

# The catalog loses set S2 (and its id counter), as a power cut before the
# record reached the disk would.
stasis_stop_daemon
sqlite3 "$STASIS_STATE_DIR/catalog.db" "PRAGMA foreign_keys=ON; DELETE FROM sets WHERE id = $S2;
        DELETE FROM sqlite_sequence;"
stasis_start_daemon
assert_eq "$(orphans)" "[[\"$S2\",0,\"loopclone\",\"stasis-$S2-0\"]]" "loopclone orphan found at start-up"
[ -f "$STORE/stasis-$S2-0.img" ] || stasis_die "the orphan clone was deleted"
created=$("$STASIS" --json list --orphans | jq -r --arg h "stasis-$S2-0" '.[] | select(.handle == $h) | .created_usec')
[ "$created" -gt 0 ] || stasis_die "no creation time for a loopclone orphan: $created"

# Set ids stay above the clones in the store.
S3=$(create "$E")
[ "$S3" -gt "$S2" ] || stasis_die "set id $S3 after a clone of set $S2"

# Adopt it back: a set with its clone, deletable like any other.
"$STASIS" adopt "$S2" >/dev/null
assert_eq "$("$STASIS" --json show "$S2" | jq -c '[.state, (.volumes | length), .volumes[0].snapshot]')" \
        "[\"created\",1,\"stasis-$S2-0\"]" "adopted loopclone set"
assert_eq "$(orphans)" "[]" "orphans after the adoption"
"$STASIS" delete "$S2" >/dev/null
[ ! -e "$STORE/stasis-$S2-0.img" ] || stasis_die "delete of the adopted set left its clone"

# A clone put in the store while stasisd runs: found by a rescan, ids go
# above it, and delete-orphan removes it through the provider.
S4=$((S3 + 40))
cp "$STORE/stasis-$S1-0.img" "$STORE/stasis-$S4-0.img"
: > "$STORE/not-a-clone.img"
rescan
assert_eq "$(orphans)" "[[\"$S4\",0,\"loopclone\",\"stasis-$S4-0\"]]" "orphans after a rescan"
S5=$(create "$E")
[ "$S5" -gt "$S4" ] || stasis_die "set id $S5 after a rescan found $S4"
# A rescan asks the providers in a worker: while one of them takes its time,
# stasisd answers, and an orphan deleted meanwhile (that the worker listed
# already) is not listed again when the rescan ends.
: > "$T/evil-gate"
"$STASIS" list --orphans --rescan > "$T/rescan.out" 2>&1 &
RESCAN=$!
wait_until 60 '[ -e "$T/evil-gate.listing" ]'
timeout 60 "$STASIS" list >/dev/null || stasis_die "stasisd does not answer while a provider lists"
timeout 60 "$STASIS" delete-orphan "stasis-$S4-0" >/dev/null || stasis_die "delete-orphan during a rescan failed"
rm "$T/evil-gate"
wait "$RESCAN" || stasis_die "the rescan failed: $(cat "$T/rescan.out")"
[ ! -e "$STORE/stasis-$S4-0.img" ] || stasis_die "delete-orphan left the clone"
[ -e "$STORE/not-a-clone.img" ] || stasis_die "a file not named like a clone was deleted"
assert_eq "$(orphans)" "[]" "orphans after delete-orphan"

# ---- a provider that answers list with what stasisd could not have made ----

# refused ANSWER TEXT: with evil answering ANSWER, a rescan lists none of
# its snapshots, logs TEXT naming the provider, and nothing is deleted.
refused() {
        local n
        printf '%s\n' "$1" > "$T/evil-answer"
        n=$(wc -l < "$LOG")
        rescan
        assert_eq "$(orphans)" "[]" "orphans after evil answered ${1:0:80}"
        tail -n "+$((n + 1))" "$LOG" | grep -F -q "$2" ||
                { tail -n 5 "$LOG" >&2; stasis_die "no log line '$2' for evil answering ${1:0:80}"; }
}
snap() { jq -nc --arg h "$1" '{handle: $h, key: "evil:k", source: "/x"}'; }
answer() { local s; s=$(IFS=,; echo "$*"); echo "{\"version\": 1, \"snapshots\": [$s]}"; }

refused "not json at all" "provider zevil list exited 0 but did not print a JSON object"
refused '{"version": 1}' "provider zevil list: answer lacks an array \"snapshots\""
refused '{"version": 1, "snapshots": ["stasis-9-0"]}' "provider zevil list: snapshot 0 is not an object"
for h in "../../etc/passwd" "/etc" "stasis-9-0/../x" "stasis-09-0" "stasis-0-0" "stasis-9-00" "stasis-9-64" \
         "stasis-9-0 " "stasis--1-0" "stasis-9" "stasis-9223372036854775808-0" $'stasis-9-0\n' \
         $'stasis-9-0\001' "x/stasis-9-0" ""; do
        # One good snapshot beside the bad one: the whole answer is refused.
        refused "$(answer "$(snap "stasis-$((S5 + 7))-0")" "$(snap "$h")")" "not a name stasisd gives snapshots"
done
refused "$(answer "$(jq -nc '{handle: "stasis-9-0", source: "/x"}')")" "snapshot stasis-9-0 lacks a \"key\""
refused "$(answer "$(jq -nc '{handle: "stasis-9-0", key: "k\u0001", source: "/x"}')")" "control characters"
refused "$(answer "$(snap stasis-9-0)" "$(snap stasis-9-0)")" "provider zevil list: answer lists stasis-9-0 twice"
refused "$(answer "$(jq -nc '{handle: "stasis-9-0", key: "k", source: "/x", created: -5}')")" "\"created\" is not a time"
# Too many snapshots, and too many bytes.
refused "$(seq 1 16385 | jq -c -s '{version: 1, snapshots: [.[] | {handle: "stasis-\(.)-0", key: "k", source: "/x"}]}')" \
        "answer lists 16385 snapshots, more than the 16384 stasisd takes"
refused "$(head -c 4200000 /dev/zero | tr '\0' ' '){\"version\": 1, \"snapshots\": []}" \
        "provider zevil list printed more than 4194304 bytes"
# Nor does a refused answer keep set ids above what it named.
S6=$(create "$E")
[ "$S6" -lt "$((S5 + 7))" ] || stasis_die "set id $S6: a refused list answer raised the set ids"
assert_eq "$(cat "$T/evil-deleted")" "" "evil was asked to delete something"

# A good answer is taken: its snapshot is an orphan of evil, and deleting it
# goes through evil's own delete.
printf '%s\n' "$(answer "$(snap "stasis-$((S6 + 3))-1")")" > "$T/evil-answer"
rescan
assert_eq "$(orphans)" "[[\"$((S6 + 3))\",1,\"zevil\",\"stasis-$((S6 + 3))-1\"]]" "evil's orphan"
# A handle of a file system path is no orphan: nothing is asked to delete it.
assert_exit 3 "$STASIS" delete-orphan "$STORE/stasis-$S1-0.img"
assert_eq "$(cat "$T/evil-deleted")" "" "evil was asked to delete a path"
"$STASIS" delete-orphan "stasis-$((S6 + 3))-1" >/dev/null
assert_eq "$(cat "$T/evil-deleted")" "delete" "evil's delete for its orphan"
[ -f "$STORE/stasis-$S1-0.img" ] && [ -f "$STORE/stasis-$S6-0.img" ] || stasis_die "a clone of a set was deleted"
stasis_stop_daemon
echo "ok"
