# SPDX-License-Identifier: LGPL-2.1-or-later
# lib.sh - shared set-up for integration tests, the demo and the benchmarks:
# a private dbus-daemon, stasisd, loop-backed file systems, and a cleanup
# that runs even when the caller fails. Source it; call stasis_env_init first.

STASIS_SRC=${STASIS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
STASIS_BUILD_DIR=${STASIS_BUILD_DIR:-$STASIS_SRC/build}
STASIS=${STASIS:-$STASIS_BUILD_DIR/src/cli/stasis}
STASISD=${STASISD:-$STASIS_BUILD_DIR/src/daemon/stasisd}
TEST_REQUESTOR=${TEST_REQUESTOR:-$STASIS_BUILD_DIR/test/test-requestor}

_stasis_loops=()
_stasis_mounts=()
_stasis_pids=()
STASISD_PID=
DBUS_PID=

stasis_log() { printf '# %s\n' "$*" >&2; }
stasis_die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# stasis_bench_require FILE...: for a bench script, stop (before setting up
# anything) when a program it runs is not built.
stasis_bench_require() {
        local f
        for f in "$@"; do
                [ -x "$f" ] || { echo "$(basename "$0" .sh): $f is missing; build first (ninja -C build)" >&2; exit 1; }
        done
}

# Make the work dir (world-readable, so an unprivileged user can reach the bus
# socket) and arm the cleanup trap.
stasis_env_init() {
        [ "$(id -u)" = 0 ] || { echo "SKIP: needs root (loop devices, mounts)"; exit 77; }
        STASIS_TMP=$(mktemp -d /tmp/stasis-test.XXXXXX)
        chmod 755 "$STASIS_TMP"
        export STASIS_STATE_DIR=$STASIS_TMP/state
        export STASIS_RUNTIME_DIR=$STASIS_TMP/run
        trap stasis_cleanup EXIT
        trap 'exit 130' INT TERM
}

stasis_cleanup() {
        local rc=$? m l p
        set +e
        # A test may have stopped stasisd's workers (kill -STOP): none is left so.
        for p in $(pgrep -P "${STASISD_PID:-0}" 2>/dev/null); do kill -CONT "$p" 2>/dev/null; done
        stasis_stop_daemon || { [ "$rc" != 0 ] || rc=1; }
        for p in "${_stasis_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
        [ -n "$DBUS_PID" ] && kill "$DBUS_PID" 2>/dev/null && wait "$DBUS_PID" 2>/dev/null
        # Thaw everything first, outermost first (a stacked file system's thaw
        # writes through to the one below it), then unmount innermost first.
        for m in "${_stasis_mounts[@]}"; do
                fsfreeze -u "$m" 2>/dev/null
        done
        for (( i=${#_stasis_mounts[@]}-1; i>=0; i-- )); do
                umount "${_stasis_mounts[$i]}" 2>/dev/null || umount -l "${_stasis_mounts[$i]}" 2>/dev/null
        done
        # Whatever else is still mounted in the work dir (views of sets), innermost first.
        findmnt -rn -o TARGET 2>/dev/null | grep "^$STASIS_TMP/" | sort -r | while read -r m; do
                umount -l "$m" 2>/dev/null
        done
        for (( i=${#_stasis_loops[@]}-1; i>=0; i-- )); do
                losetup -d "${_stasis_loops[$i]}" 2>/dev/null
        done
        # Loop devices on files of the work dir made by others (a provider's
        # mount of a clone).
        losetup -n -l -O NAME,BACK-FILE 2>/dev/null | while read -r l f; do
                case $f in "$STASIS_TMP"/*) losetup -d "$l" 2>/dev/null ;; esac
        done
        # Never into a mount left behind: its content is not ours.
        [ -n "$STASIS_TMP" ] && rm -rf --one-file-system "$STASIS_TMP"
        exit $rc
}

# Start a private system-type bus with the project's policy; exports
# STASIS_BUS_ADDRESS.
stasis_start_bus() {
        local sock=$STASIS_TMP/bus/system_bus_socket
        mkdir -p "$STASIS_TMP/bus"
        chmod 755 "$STASIS_TMP/bus"
        sed -e "s|@SOCKET@|$sock|" -e "s|@POLICY@|$STASIS_SRC/data/org.stasis1.conf|" \
                "$STASIS_SRC/data/test-bus.conf.in" > "$STASIS_TMP/bus/bus.conf"
        exec {busfd}< <(exec dbus-daemon --config-file="$STASIS_TMP/bus/bus.conf" --nofork --nopidfile \
                          --print-address=1 --print-pid=1 2>>"$STASIS_TMP/bus/dbus-daemon.log")
        read -r -u $busfd STASIS_BUS_ADDRESS || stasis_die "dbus-daemon did not start"
        read -r -u $busfd DBUS_PID || stasis_die "dbus-daemon did not print its pid"
        export STASIS_BUS_ADDRESS
}

# Start stasisd in the background and wait until it owns its name. It looks
# for orphan snapshots at start-up only with STASIS_ORPHAN_SCAN=yes: that scan
# reads the store of every btrfs file system mounted on the machine (other
# test runs' too) and keeps set ids above theirs, which tests that expect set
# 1 first cannot have.
stasis_start_daemon() {
        local log=${1:-$STASIS_TMP/stasisd.log} i
        # shellcheck disable=SC2086  # STASISD_ARGS is a list of options
        "$STASISD" --state-dir "$STASIS_STATE_DIR" --orphan-scan="${STASIS_ORPHAN_SCAN:-no}" ${STASISD_ARGS:-} \
                >>"$log" 2>&1 &
        STASISD_PID=$!
        for i in $(seq 1 500); do
                if busctl --address="$STASIS_BUS_ADDRESS" status org.stasis1 >/dev/null 2>&1; then
                        return 0
                fi
                kill -0 "$STASISD_PID" 2>/dev/null || { cat "$log" >&2; stasis_die "stasisd exited at start"; }
                sleep 0.01
        done
        cat "$log" >&2
        stasis_die "stasisd did not take its bus name"
}

# Stop stasisd with SIGTERM; fails (showing its log) unless it exits 0, so a
# sanitizer report or a leak at exit fails the test.
stasis_stop_daemon() {
        local rc=0
        [ -n "$STASISD_PID" ] || return 0
        kill "$STASISD_PID" 2>/dev/null
        wait "$STASISD_PID" 2>/dev/null || rc=$?
        STASISD_PID=
        if [ "$rc" != 0 ]; then
                printf 'FAIL: stasisd exited with status %s on SIGTERM; its log:\n' "$rc" >&2
                tail -n 50 "$STASIS_TMP/stasisd.log" >&2
                return 1
        fi
}

# stasis_make_fs TYPE NAME [SIZE]: a loop-backed file system mounted at
# $STASIS_TMP/mnt/NAME. Sets STASIS_FS (the mount point) and STASIS_DEV. Call
# it directly, not in $(...): the cleanup lists live in this shell.
stasis_make_fs() {
        local type=$1 name=$2 size=${3:-300M} img dev mnt
        img=$STASIS_TMP/img/$name.img
        mnt=$STASIS_TMP/mnt/$name
        mkdir -p "$STASIS_TMP/img" "$mnt"
        truncate -s "$size" "$img"
        dev=$(losetup --find --show "$img") || stasis_die "losetup failed"
        _stasis_loops+=("$dev")
        case $type in
        btrfs) mkfs.btrfs -q -f "$dev" >/dev/null ;;
        ext4)  mkfs.ext4 -q -F "$dev" >/dev/null ;;
        xfs)   mkfs.xfs -q -f "$dev" >/dev/null ;;
        *) stasis_die "unknown file system $type" ;;
        esac || stasis_die "mkfs.$type failed"
        mount "$dev" "$mnt" || stasis_die "mount $dev failed"
        _stasis_mounts+=("$mnt")
        STASIS_FS=$mnt
        STASIS_DEV=$dev
}

# stasis_install_provider NAME PROGRAM [VAR=VALUE...]: make PROGRAM the
# external provider NAME in $STASIS_TMP/providers.d, with the variables
# given: a root-owned wrapper script that sets them and runs PROGRAM
# (stasisd gives a provider a fixed, minimal environment and checks that it,
# not what it runs, is root's: docs/provider-spec.md).
stasis_install_provider() {
        local name=$1 program=$2 v f
        shift 2
        mkdir -p "$STASIS_TMP/providers.d"
        chmod 755 "$STASIS_TMP/providers.d"
        f=$STASIS_TMP/providers.d/$name
        {
                echo '#!/bin/sh'
                for v in "$@"; do printf 'export %q\n' "$v"; done
                printf 'exec %q "$@"\n' "$program"
        } > "$f"
        chmod 755 "$f"
}

# stasis_install_test_provider: test/helpers/test-provider as the external
# provider "testprov", with its mode and log files in TEST_PROVIDER_DIR
# ($STASIS_TMP/provider, exported).
stasis_install_test_provider() {
        export TEST_PROVIDER_DIR=$STASIS_TMP/provider
        mkdir -p "$TEST_PROVIDER_DIR"
        stasis_install_provider testprov "$STASIS_SRC/test/helpers/test-provider" \
                TEST_PROVIDER_DIR="$TEST_PROVIDER_DIR" STASIS_STATE_DIR="$STASIS_STATE_DIR"
}

stasis_track_mount() { _stasis_mounts+=("$1"); }
stasis_track_loop() { _stasis_loops+=("$1"); }
stasis_track_pid() { _stasis_pids+=("$1"); }

# Assertions: print what went wrong and fail the test.
assert_eq() { [ "$1" = "$2" ] || stasis_die "${3:-values differ}: expected '$2', got '$1'"; }
assert_contains() { case $1 in *"$2"*) ;; *) stasis_die "${3:-missing text}: '$2' not in: $1" ;; esac; }
# assert_exit CODE CMD...: run CMD, check its exit code; its stderr is in $STASIS_ERR.
assert_exit() {
        local want=$1 got
        shift
        STASIS_ERR=$("$@" 2>&1 >/dev/null) && got=0 || got=$?
        [ "$got" = "$want" ] || stasis_die "'$*' exited $got, expected $want; stderr: $STASIS_ERR"
}

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds; fail after SECONDS.
wait_for() {
        local limit=$1 i
        shift
        for (( i = 0; i < limit * 20; i++ )); do
                "$@" && return 0
                sleep 0.05
        done
        stasis_die "timed out after ${limit}s waiting for: $*"
}

# The number of sets stasisd lists.
stasis_count_sets() { "$STASIS" --json list | jq length; }

# The usual start of a test: work dir and cleanup, a private bus, stasisd.
stasis_setup() {
        stasis_env_init
        stasis_start_bus
        stasis_start_daemon
}

# stasis_setup_alone [OPTION...]: stasis_setup with stasisd given OPTIONs
# and a providers directory of its own, empty ($STASIS_TMP/providers.d):
# the in-tree btrfs provider only, none of the machine's.
stasis_setup_alone() {
        stasis_env_init
        stasis_start_bus
        mkdir -p "$STASIS_TMP/providers.d"
        STASISD_ARGS="--providers-dir $STASIS_TMP/providers.d $*"
        stasis_start_daemon
}

# stasis_writable MOUNT: a write to it completes within 2 s. (A write to a
# frozen file system cannot be killed; it is left to finish after the thaw.)
stasis_writable() {
        sh -c "echo x > '$1/.writable-check'" </dev/null >/dev/null 2>&1 &
        local pid=$! i
        for i in $(seq 40); do
                if ! kill -0 "$pid" 2>/dev/null; then
                        wait "$pid"
                        return
                fi
                sleep 0.05
        done
        stasis_track_pid "$pid"
        return 1
}

# ---- Writers: stasis-test-writer (test/helpers) ----

STASIS_TEST_WRITER=${STASIS_TEST_WRITER:-$STASIS_BUILD_DIR/test/helpers/stasis-test-writer}
_stasis_writer_n=0

# stasis_start_writer ARGS...: start stasis-test-writer with ARGS in the
# background and wait until all its writers are registered (its stderr goes
# to $STASIS_TMP/writer.err). Sets STASIS_WRITER_PID. Call it directly, not in
# $(...): the pid is tracked for the cleanup.
stasis_start_writer() {
        local ready
        _stasis_writer_n=$((_stasis_writer_n + 1))
        ready=$STASIS_TMP/writer-ready.$_stasis_writer_n
        "$STASIS_TEST_WRITER" --ready-file "$ready" "$@" 2>>"$STASIS_TMP/writer.err" &
        STASIS_WRITER_PID=$!
        _stasis_writer_wait "$ready" "$*"
}

# _stasis_writer_wait READY WHAT: track STASIS_WRITER_PID and wait until it
# made READY (its writers are registered); fail naming WHAT if it exits first.
_stasis_writer_wait() {
        local ready=$1 i
        stasis_track_pid "$STASIS_WRITER_PID"
        for (( i = 0; i < 400; i++ )); do
                [ -e "$ready" ] && return 0
                kill -0 "$STASIS_WRITER_PID" 2>/dev/null || break
                sleep 0.025
        done
        tail -n 20 "$STASIS_TMP/writer.err" >&2
        stasis_die "stasis-test-writer $2 did not register"
}

# stasis_stop_writer PID: SIGTERM; it must unregister and exit 0 (so that a
# sanitizer report fails the test).
stasis_stop_writer() {
        local rc=0
        kill "$1" 2>/dev/null
        wait "$1" 2>/dev/null || rc=$?
        [ "$rc" = 0 ] || { tail -n 20 "$STASIS_TMP/writer.err" >&2; stasis_die "stasis-test-writer $1 exited $rc on SIGTERM"; }
}

# stasis_writer_field WRITER[@INSTANCE] FIELD: that field of the writer in
# `stasis --json writers` ("" if it is null, or if no such writer is listed).
stasis_writer_field() {
        local name=${1%%@*} inst=
        case $1 in *@*) inst=${1#*@} ;; esac
        "$STASIS" --json writers | jq -r --arg n "$name" --arg i "$inst" --arg f "$2" \
                '.[] | select(.writer == $n and .instance == $i) | .[$f] // ""'
}

# stasis_writer_listed WRITER[@INSTANCE]: stasisd lists that writer as
# registered (not missing: see stasis_writer_missing).
stasis_writer_listed() {
        local s
        s=$(stasis_writer_field "$1" state)
        [ -n "$s" ] && [ "$s" != missing ]
}
# stasis_writer_missing WRITER[@INSTANCE]: stasisd lists that writer as
# missing (registered before it restarted, not back).
stasis_writer_missing() { [ "$(stasis_writer_field "$1" state)" = missing ]; }
stasis_writer_unlisted() { ! stasis_writer_listed "$1"; }

# stasis_start_app_writer NAME PROGRAM CONFIG: a shipped writer (PROGRAM,
# which registers as NAME) with CONFIG on the test bus, in the background,
# its output in $STASIS_TMP/writer.log; waits until stasisd lists it. Sets
# WRITER_PID.
stasis_start_app_writer() {
        "$2" --config "$3" --bus-address "$STASIS_BUS_ADDRESS" >>"$STASIS_TMP/writer.log" 2>&1 &
        WRITER_PID=$!
        stasis_track_pid "$WRITER_PID"
        stasis_wait_app_writer "$1"
}
# stasis_wait_app_writer NAME: until stasisd lists writer NAME (WRITER_PID);
# fails if that process exits first, or after 10 s.
stasis_wait_app_writer() {
        local i
        for (( i = 0; i < 400; i++ )); do
                stasis_writer_listed "$1" && return 0
                kill -0 "$WRITER_PID" 2>/dev/null || break
                sleep 0.025
        done
        tail -n 20 "$STASIS_TMP/writer.log" >&2
        stasis_die "stasis-writer-$1 did not register"
}
# stasis_stop_app_writer NAME: SIGTERM to WRITER_PID, which must exit 0.
stasis_stop_app_writer() {
        local rc=0
        kill "$WRITER_PID"; wait "$WRITER_PID" || rc=$?
        [ "$rc" = 0 ] || { tail -n 20 "$STASIS_TMP/writer.log" >&2; stasis_die "stasis-writer-$1 exited $rc on SIGTERM"; }
}

# stasis_elapsed_ms START_NS: milliseconds since START_NS (date +%s%N).
stasis_elapsed_ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# wait_until SECONDS EXPRESSION: like wait_for, but EXPRESSION is a string
# evaluated anew each time, so the command substitutions in it run again:
# wait_until 5 '[ "$(stasis_count_sets)" = 0 ]'.
wait_until() {
        local limit=$1 i
        for (( i = 0; i < limit * 20; i++ )); do
                eval "$2" && return 0
                sleep 0.05
        done
        stasis_die "timed out after ${limit}s waiting for: $2"
}

# stasis_within MS CMD...: CMD succeeds within MS milliseconds of wall-clock
# time from now (polled every 10 ms), or the test fails. Sets
# STASIS_WITHIN_MS to the time it took.
stasis_within() {
        local limit=$1 start
        shift
        start=$(date +%s%N)
        until "$@"; do
                STASIS_WITHIN_MS=$(stasis_elapsed_ms "$start")
                [ "$STASIS_WITHIN_MS" -lt "$limit" ] || stasis_die "not within $limit ms (after $STASIS_WITHIN_MS ms): $*"
                sleep 0.01
        done
        STASIS_WITHIN_MS=$(stasis_elapsed_ms "$start")
}

# ---- Acting as an unprivileged local user ----

# stasis_as_nobody CMD...: run CMD as the user nobody (group nogroup, no
# supplementary groups, no capabilities), the way a local attacker would.
stasis_as_nobody() {
        setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"
}

# ---- More policy on the bus, polkitd, writers as other users ----

# stasis_bus_include FILE: add FILE (a bus policy file, such as polkitd's) to
# the private bus's configuration. Call it before stasis_start_bus.
stasis_bus_include() {
        mkdir -p "$STASIS_TMP/bus/bus.d"
        cp "$1" "$STASIS_TMP/bus/bus.d/${1##*/}"
}

# stasis_bus_allow_monitor: root may monitor the private bus (BecomeMonitor:
# busctl monitor), to count and order the calls on it. Before
# stasis_start_bus.
stasis_bus_allow_monitor() {
        cat >"$STASIS_TMP/monitor.conf" <<'XML'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
        "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
        <policy user="root">
                <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
        </policy>
</busconfig>
XML
        stasis_bus_include "$STASIS_TMP/monitor.conf"
}

POLKITD=${POLKITD:-/usr/lib/polkit-1/polkitd}
STASIS_POLKIT_PID=

# stasis_start_polkit [RULES-FILE...]: start the real polkitd on the private
# bus (its policy added with stasis_bus_include), in a mount namespace of its
# own where /usr/share/polkit-1/actions holds only stasis's actions and the
# rules directories only the given rules files, so the host's polkit files
# are neither used nor touched. polkitd drops to the user polkitd by itself.
stasis_start_polkit() {
        local d=$STASIS_TMP/polkit i f
        rm -rf "$d"
        mkdir -p "$d/actions" "$d/rules.d" "$d/empty"
        cp "$STASIS_SRC/data/org.stasis1.policy" "$d/actions/"
        for f in "$@"; do cp "$f" "$d/rules.d/"; done
        chown -R polkitd "$d/rules.d" "$d/empty"
        chmod 700 "$d/rules.d" "$d/empty"
        DBUS_SYSTEM_BUS_ADDRESS=$STASIS_BUS_ADDRESS unshare --mount --propagation private -- sh -c '
                mount --bind "$1/actions" /usr/share/polkit-1/actions &&
                mount --bind "$1/rules.d" /etc/polkit-1/rules.d &&
                mount --bind "$1/empty" /usr/share/polkit-1/rules.d &&
                exec "$2" --no-debug' sh "$d" "$POLKITD" >>"$STASIS_TMP/polkitd.log" 2>&1 &
        STASIS_POLKIT_PID=$!
        stasis_track_pid "$STASIS_POLKIT_PID"
        for (( i = 0; i < 500; i++ )); do
                busctl --address="$STASIS_BUS_ADDRESS" status org.freedesktop.PolicyKit1 >/dev/null 2>&1 && return 0
                kill -0 "$STASIS_POLKIT_PID" 2>/dev/null || break
                sleep 0.01
        done
        cat "$STASIS_TMP/polkitd.log" >&2
        stasis_die "polkitd did not take its bus name"
}

stasis_stop_polkit() {
        [ -n "$STASIS_POLKIT_PID" ] || return 0
        kill "$STASIS_POLKIT_PID" 2>/dev/null
        kill -CONT "$STASIS_POLKIT_PID" 2>/dev/null     # a test may have stopped it
        wait "$STASIS_POLKIT_PID" 2>/dev/null || true
        STASIS_POLKIT_PID=
}

# stasis_start_writer_as "SETPRIV-OPTIONS" ARGS...: like stasis_start_writer,
# with the writer run through setpriv with SETPRIV-OPTIONS (one string, such
# as "--reuid=nobody --regid=nogroup --clear-groups") and no capabilities.
stasis_start_writer_as() {
        local as=$1 ready
        shift
        _stasis_writer_n=$((_stasis_writer_n + 1))
        mkdir -p "$STASIS_TMP/ready"
        chmod 1777 "$STASIS_TMP/ready"
        ready=$STASIS_TMP/ready/writer.$_stasis_writer_n
        # shellcheck disable=SC2086  # as is a list of options
        setpriv $as --inh-caps=-all --bounding-set=-all -- \
                "$STASIS_TEST_WRITER" --ready-file "$ready" "$@" 2>>"$STASIS_TMP/writer.err" &
        STASIS_WRITER_PID=$!
        _stasis_writer_wait "$ready" "$* (as $as)"
}

# stasis_run_vm_guest GUEST-SCRIPT: runs test/vm/GUEST-SCRIPT in a virtual
# machine with Debian's kernel (test/vm/vmtest.sh), for what the kernel the
# tests run on may lack (device-mapper), and exits with its result.
stasis_run_vm_guest() {
        [ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the guest reads the host's files as root)"; exit 77; }
        [ -x "$STASIS_BUILD_DIR/src/providers/lvm/stasis-provider-lvm" ] || stasis_die "build first (ninja -C build)"
        command -v lvm >/dev/null || { echo "SKIP: lvm2 is not installed (scripts/install-deps.sh)"; exit 77; }
        local out rc=0 v
        out=$(mktemp -d /tmp/stasis-vm.XXXXXX)
        # The sanitizers' settings too, for a sanitizer build.
        VMTEST_ENV="STASIS_SRC=$STASIS_SRC STASIS_BUILD_DIR=$STASIS_BUILD_DIR"
        for v in ASAN_OPTIONS UBSAN_OPTIONS; do
                [ -z "${!v:-}" ] || VMTEST_ENV+=" $v=${!v}"
        done
        export VMTEST_ENV
        # Under software emulation on a busy machine the guest is slow: give
        # it most of the test's own limit (600 s, test/integration/meson.build).
        export VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-540}
        "$STASIS_SRC/test/vm/vmtest.sh" "$STASIS_SRC/test/vm/$1" "$out" || rc=$?
        rm -rf "$out"
        case $rc in
        0) exit 0 ;;
        77) exit 77 ;;
        99) stasis_die "the virtual machine did not report a result (it crashed, or qemu failed; see above)" ;;
        *) stasis_die "$1 failed in the virtual machine (exit status $rc; see above)" ;;
        esac
}
