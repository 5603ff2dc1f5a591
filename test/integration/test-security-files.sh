#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-security-files.sh - the files stasisd trusts as root: providers it runs
# (owner, modes, the whole path, symbolic links, the environment they get),
# its state directory and its catalog (owner, modes, symbolic links, empty and
# corrupt catalogs, handles that climb out with ".."); and its systemd unit's
# sandbox, whose exposure must not rise above what docs/service.md records.
set -eu
. "$(dirname "$0")/../lib.sh"

stasis_env_init
# On failure, stasisd's log too.
trap '_rc=$?; [ "$_rc" = 0 ] || tail -n 30 "$LOG" >&2; (exit "$_rc"); stasis_cleanup' EXIT
stasis_start_bus
T=$STASIS_TMP
LOG=$T/stasisd.log

# ---- the unit ----

if command -v systemd-analyze >/dev/null; then
        mkdir "$T/unit"
        # The built unit, run from the build tree (verify wants an executable).
        sed "s|^ExecStart=.*|ExecStart=$STASISD|" "$STASIS_BUILD_DIR/data/stasisd.service" > "$T/unit/stasisd.service"
        out=$(systemd-analyze verify --man=no "$T/unit/stasisd.service" 2>&1) ||
                stasis_die "systemd-analyze verify: $out"
        [ -z "$out" ] || stasis_die "systemd-analyze verify complains: $out"
        recorded=$(sed -n 's/^Overall exposure level: \([0-9.]*\)$/\1/p' "$STASIS_SRC/docs/service.md")
        [ -n "$recorded" ] || stasis_die "docs/service.md records no exposure level"
        got=$(cd "$T/unit" && systemd-analyze security --offline=true stasisd.service 2>&1 |
              sed -n 's/.*Overall exposure level for stasisd.service: \([0-9.]*\).*/\1/p')
        [ -n "$got" ] || stasis_die "systemd-analyze security gave no exposure level"
        awk -v g="$got" -v r="$recorded" 'BEGIN { exit !(g <= r) }' ||
                stasis_die "stasisd.service's exposure is $got, above the $recorded docs/service.md records"
        stasis_log "stasisd.service: exposure $got (recorded: $recorded)"
else
        stasis_log "SKIP the unit's check: systemd-analyze is not installed"
fi

# ---- providers ----

# make_provider FILE NAME: a provider that records that it ran, and its
# environment, then takes nothing.
make_provider() {
        cat > "$1" <<EOF
#!/bin/sh
touch "$T/ran-$2"
env > "$T/env-$2"
cat >/dev/null
echo '{"version":1,"supported":false}'
EOF
        chmod 755 "$1"
}

stasis_make_fs ext4 plain
E=$STASIS_FS
P=$T/providers.d
mkdir -m 755 "$P" "$T/okdir" "$T/userdir" "$T/worlddir"
chown nobody:nogroup "$T/userdir"
chmod 777 "$T/worlddir"

make_provider "$P/good" good
make_provider "$P/worldw" worldw
chmod 757 "$P/worldw"
make_provider "$P/groupw" groupw
chmod 775 "$P/groupw"
make_provider "$P/notroot" notroot
chown nobody "$P/notroot"
make_provider "$T/okdir/p" linkok
ln -s "$T/okdir/p" "$P/linkok"
make_provider "$T/userdir/p" linkuser
ln -s "$T/userdir/p" "$P/linkuser"
make_provider "$T/worlddir/p" linkworld
ln -s "$T/worlddir/p" "$P/linkworld"
make_provider "$T/okdir/q" linkvia
ln -s "$T/okdir/q" "$T/userdir/q"
chown -h nobody:nogroup "$T/userdir/q"
ln -s "$T/userdir/q" "$P/linkvia"

# ran_after_probe: run every loaded provider's probe once (on a new
# directory each time: stasisd keeps probe answers a while).
probes=0
ran_after_probe() {
        rm -f "$T"/ran-*
        probes=$((probes + 1))
        mkdir "$E/$probes"
        "$STASIS" volumes "$E/$probes" >/dev/null 2>&1 || true
}

SECRET_FROM_DAEMON=do-not-pass-on STASISD_ARGS="--providers-dir=$P" stasis_start_daemon
ran_after_probe
for n in good linkok; do
        [ -e "$T/ran-$n" ] || stasis_die "provider $n did not run; log: $(cat "$LOG")"
done
for n in worldw groupw notroot linkuser linkworld linkvia; do
        [ ! -e "$T/ran-$n" ] || stasis_die "stasisd ran the untrusted provider $n"
done
L=$(cat "$LOG")
assert_contains "$L" "Refusing provider $P/worldw: $P/worldw is writable by others"
assert_contains "$L" "Refusing provider $P/groupw: $P/groupw is writable by its group"
assert_contains "$L" "Refusing provider $P/notroot: $P/notroot is owned by uid 65534, not root"
assert_contains "$L" "Refusing provider $P/linkuser: $T/userdir is owned by uid 65534, not root"
assert_contains "$L" "Refusing provider $P/linkworld: $T/worlddir is writable by others"
assert_contains "$L" "Refusing provider $P/linkvia: $T/userdir is owned by uid 65534, not root"
assert_contains "$L" "Loaded 2 external provider(s) from $P."

# The environment: the documented few, nothing of stasisd's own.
ENV=$(grep -v '^PWD=' "$T/env-good" | sort)
assert_eq "$ENV" "$(printf '%s\n' LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin STASIS_PROVIDER_VERSION=1)" \
        "provider environment"
assert_eq "$(grep '^PWD=' "$T/env-good")" "PWD=/" "provider working directory"

# A provider made untrusted after start-up is refused when it is called.
chmod 777 "$T/okdir"
ran_after_probe
[ -e "$T/ran-good" ] || stasis_die "provider good did not run"
[ ! -e "$T/ran-linkok" ] || stasis_die "stasisd ran linkok from a directory writable by others"
chmod 755 "$T/okdir"
stasis_stop_daemon

# The providers directory itself, and a directory above it.
chmod 777 "$P"
: > "$LOG"
STASISD_ARGS="--providers-dir=$P" stasis_start_daemon
ran_after_probe
[ -z "$(ls "$T" | grep '^ran-')" ] || stasis_die "stasisd ran providers of a directory writable by others"
assert_contains "$(cat "$LOG")" "Refusing the providers directory $P: $P is writable by others"
stasis_stop_daemon
chmod 755 "$P"
mkdir -m 755 "$T/userdir/providers.d"
make_provider "$T/userdir/providers.d/good" deep
: > "$LOG"
STASISD_ARGS="--providers-dir=$T/userdir/providers.d" stasis_start_daemon
ran_after_probe
[ ! -e "$T/ran-deep" ] || stasis_die "stasisd ran a provider below a directory another user owns"
assert_contains "$(cat "$LOG")" "Refusing the providers directory $T/userdir/providers.d: $T/userdir is owned by uid 65534"
stasis_stop_daemon

# ---- the state directory and the catalog ----

# refused DIR TEXT: stasisd must refuse to start with state directory DIR,
# and say TEXT.
refused() {
        local out=$T/refused.log pid
        : > "$out"
        "$STASISD" --state-dir "$1" >"$out" 2>&1 &
        pid=$!
        stasis_track_pid "$pid"
        while kill -0 "$pid" 2>/dev/null; do
                if busctl --address="$STASIS_BUS_ADDRESS" status org.stasis1 >/dev/null 2>&1; then
                        kill "$pid"
                        wait "$pid" || true
                        stasis_die "stasisd started with state directory $1; expected: $2"
                fi
                sleep 0.01
        done
        wait "$pid" && stasis_die "stasisd exited 0 with state directory $1"
        assert_contains "$(cat "$out")" "$2" "stasisd's error for state directory $1"
}

S=$T/st
mkdir -m 700 "$S"
chown nobody "$S"
refused "$S" "State directory $S is owned by uid 65534, not root"
chown root "$S"
chmod 777 "$S"
refused "$S" "State directory $S is writable by others"
chmod 770 "$S"
refused "$S" "State directory $S is writable by its group"
refused "$T/userdir/state" "State directory $T/userdir/state: $T/userdir is owned by uid 65534, not root"
[ ! -e "$T/userdir/state" ] || stasis_die "stasisd made a state directory below a directory another user owns"

# A new one is made 0700.
STASIS_STATE_DIR=$T/new/state stasis_start_daemon
assert_eq "$(stat -c %a:%U "$T/new/state")" 700:root "mode of a new state directory"
stasis_stop_daemon

chmod 700 "$S"
C=$S/catalog.db
: > "$C"
refused "$S" "Catalog $C is empty (0 bytes)"
assert_contains "$(cat "$T/refused.log")" "restore it from a backup"
head -c 8192 /dev/urandom > "$C"
refused "$S" "Catalog $C is not a stasis catalog"
assert_contains "$(cat "$T/refused.log")" "restore it from a backup"
rm -f "$C"
STASIS_STATE_DIR=$S stasis_start_daemon
stasis_stop_daemon
chown nobody "$C"
refused "$S" "Catalog $C is owned by uid 65534, not root"
chown root "$C"
chmod 666 "$C"
refused "$S" "Catalog $C is writable by others"
chmod 600 "$C"
mv "$C" "$T/okdir/catalog.db"
ln -s "$T/okdir/catalog.db" "$C"
refused "$S" "Catalog $C is a symbolic link"
rm "$C"
mv "$T/okdir/catalog.db" "$C"

# ---- a planted handle that climbs out of the snapshot area ----

stasis_make_fs btrfs pool
B=$STASIS_FS
btrfs -q subvolume create "$B/sub"
mkdir "$B/sub/.stasis" "$B/victim"
btrfs -q subvolume create "$B/victim/v3"
H="$B/sub/.stasis/../../victim/v3"
sqlite3 "$C" "INSERT INTO sets (id, created, persistent, owner_uid, state) VALUES (7, 0, 1, 0, 'creating');
              INSERT INTO volumes (set_id, idx, path, mount_point, device, fstype, provider, source, volume_key, handle)
                     VALUES (7, 0, '$B/sub', '$B', '$STASIS_DEV', 'btrfs', 'btrfs', '$B/sub', 'k', '$H');"
: > "$LOG"
STASIS_STATE_DIR=$S stasis_start_daemon
# Until stasisd has dealt with set 7: removed it, failed to, or left it alone.
wait_until 10 'grep -q -e "Set 7 deleted" -e "Set 7: deleting failed" -e "Set 7 in the catalog" "$LOG"'
btrfs subvolume show "$B/victim/v3" >/dev/null 2>&1 || stasis_die "stasisd deleted $B/victim/v3 through a planted handle"
assert_contains "$(cat "$LOG")" "Set 7 in the catalog $C has a snapshot handle that is not a normalized path"
assert_contains "$(cat "$LOG")" "'..'"
stasis_stop_daemon
assert_eq "$(sqlite3 "$C" 'SELECT handle FROM volumes WHERE set_id = 7')" "$H" "the planted set is left alone"

echo "PASS"
