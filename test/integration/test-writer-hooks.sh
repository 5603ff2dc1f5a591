#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-writer-hooks.sh - stasis-writer-hooks with a qemu-guest-agent fsfreeze-hook.d script and a
# VMware Tools backupScripts.d script, both unchanged:
#  1. "freeze" in name order, "thaw" in reverse; *.sample, *.dpkg-*, *.rpmnew, editor backups and
#     files without an execute bit are not run;
#  2. a hook that hangs is killed with its process group at its time limit, those already frozen get
#     "freezeFail", the component is crash-consistent with the reason, `stasis writers` shows it,
#     and with --require-writers the set fails;
#  3. a hook writable by its group is not run: the reason names it;
#  4. OnFreezeFailure=thaw (qemu-ga's convention) sends "thaw" instead of "freezeFail".
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
WRITER=$STASIS_BUILD_DIR/src/writers/hooks/stasis-writer-hooks

stasis_setup_alone
T=$STASIS_TMP

stasis_make_fs btrfs pool
P=$STASIS_FS
H=$T/hooks.d
mkdir -m 0755 "$H"
LOG=$T/hooks.log
: >"$LOG"

# As qemu-guest-agent ships them in /etc/qemu/fsfreeze-hook.d (its mysql-flush.sh has this shape).
cat >"$H/10-qemu-app" <<SH
#!/bin/sh
case "\$1" in
    freeze)
        echo "qemu freeze" >>$LOG
        ;;
    thaw)
        echo "qemu thaw" >>$LOG
        ;;
    *)
        exit 1
        ;;
esac
SH
# As VMware Tools runs /etc/vmware-tools/backupScripts.d.
cat >"$H/20-vmware-app" <<SH
#!/bin/sh
if [ "\$1" = "freeze" ]; then
    echo "vmware freeze" >>$LOG
elif [ "\$1" = "thaw" ]; then
    echo "vmware thaw" >>$LOG
elif [ "\$1" = "freezeFail" ]; then
    echo "vmware freezeFail" >>$LOG
fi
exit 0
SH
for f in 30-x.sample 31-x.dpkg-old 32-x.rpmnew '33-x~' .34-hidden 35-noexec; do
        printf '#!/bin/sh\necho "skipped %s ran" >>%s\n' "$f" "$LOG" >"$H/$f"
done
chmod 0755 "$H"/*
chmod 0644 "$H/35-noexec"

printf '[Writer]\nPaths=%s\nTimeoutSec=1\n' "$P" >"$T/hooks.conf"
"$WRITER" --config "$T/hooks.conf" --hooks-dir "$H" --bus-address "$STASIS_BUS_ADDRESS" >/dev/null 2>>"$T/hooks.err" &
HW=$!
stasis_track_pid $HW
wait_until 10 'stasis_writer_listed hooks' || stasis_die "stasis-writer-hooks did not register: $(cat "$T/hooks.err")"
consistency() { "$STASIS" --json show "$1" | jq -r '.components[0].consistency'; }
reason() { "$STASIS" --json show "$1" | jq -r '.components[0].reason'; }

# ---- 1. Order, and what is not run ----
id=$("$STASIS" --json create --component hooks | jq -r .id)
assert_eq "$(consistency "$id")" application "the set"
assert_eq "$(paste -sd, "$LOG")" "qemu freeze,vmware freeze,vmware thaw,qemu thaw" "the calls, thaw in reverse"
"$STASIS" delete "$id" >/dev/null

# ---- 2. A hook that hangs ----
: >"$LOG"
printf '#!/bin/sh\n[ "$1" = freeze ] && sleep 1001\nexit 0\n' >"$H/25-hang"
chmod 0755 "$H/25-hang"
id=$("$STASIS" --json create --component hooks | jq -r .id)
assert_eq "$(consistency "$id")" crash-consistent "a hook hung"
assert_contains "$(reason "$id")" "hook $H/25-hang freeze ran longer than its time limit and was killed" "the reason"
assert_contains "$(reason "$id")" "hook $H/10-qemu-app freezeFail exited with status 1" "qemu's script refuses freezeFail"
assert_eq "$(paste -sd, "$LOG")" "qemu freeze,vmware freeze,vmware freezeFail" "freezeFail to those frozen, in reverse"
! pgrep -f "sleep 1001" >/dev/null || stasis_die "the hook's child outlived its process group"
assert_contains "$(stasis_writer_field hooks last_error)" "25-hang freeze ran longer than its time limit" "stasis writers"
assert_exit 9 "$STASIS" create --require-writers --component hooks
assert_contains "$STASIS_ERR" "25-hang freeze ran longer than its time limit" "--require-writers"
rm "$H/25-hang"

# ---- 3. A hook others may change ----
chmod 0775 "$H/20-vmware-app"
: >"$LOG"
id=$("$STASIS" --json create --component hooks | jq -r .id)
assert_eq "$(consistency "$id")" crash-consistent "an untrusted hook"
assert_contains "$(reason "$id")" "20-vmware-app is writable by its group" "the reason"
[ ! -s "$LOG" ] || stasis_die "hooks ran although one of them is not trusted: $(cat "$LOG")"
chmod 0755 "$H/20-vmware-app"
! grep -q skipped "$LOG" || stasis_die "a file that is not a hook ran"

# ---- 4. qemu-ga's convention ----
kill "$HW"
wait "$HW" || stasis_die "stasis-writer-hooks did not exit cleanly on SIGTERM"
wait_until 10 '! stasis_writer_listed hooks'
printf '[Writer]\nPaths=%s\nTimeoutSec=1\nOnFreezeFailure=thaw\n' "$P" >"$T/hooks.conf"
printf '#!/bin/sh\n[ "$1" = freeze ] && exit 3\nexit 0\n' >"$H/25-fail"
chmod 0755 "$H/25-fail"
"$WRITER" --config "$T/hooks.conf" --hooks-dir "$H" --bus-address "$STASIS_BUS_ADDRESS" >/dev/null 2>>"$T/hooks.err" &
stasis_track_pid $!
wait_until 10 'stasis_writer_listed hooks' || stasis_die "stasis-writer-hooks did not register again"
: >"$LOG"
id=$("$STASIS" --json create --component hooks | jq -r .id)
assert_contains "$(reason "$id")" "hook $H/25-fail freeze exited with status 3" "a failing hook"
assert_eq "$(paste -sd, "$LOG")" "qemu freeze,vmware freeze,vmware thaw,qemu thaw" "thaw to those frozen"
! grep -q skipped "$LOG" || stasis_die "a file that is not a hook ran"
echo ok
