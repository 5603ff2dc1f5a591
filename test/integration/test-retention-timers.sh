#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-retention-timers.sh - the systemd units and the generator, without
# systemd as PID 1: stasis-policy-generator writes each policy's
# OnCalendar= as a drop-in of stasis-run@NAME.timer (none for a policy
# without [Schedule], which keeps the timer's daily); systemd-analyze
# verify accepts the units with the drop-ins, and systemd-analyze calendar
# the schedules; a bad schedule is caught by verify. The cron.d file names
# the commands. (stasis run itself, as the service runs it, is
# test-retention-run.sh.)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
stasis_env_init
T=$STASIS_TMP
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
GEN=$STASIS_BUILD_DIR/src/daemon/stasis-policy-generator

mkdir -p "$T/p" "$T/gen" "$T/units"
printf '[Set]\nPaths=/srv\n[Schedule]\nOnCalendar=*-*-* 02:00:00\n' > "$T/p/nightly.conf"
printf '[Set]\nPaths=/srv\n[Schedule]\nOnCalendar=hourly\n' > "$T/p/hourly.conf"
printf '[Set]\nPaths=/srv\n' > "$T/p/plain.conf"
printf '[Set]\nPaths=relative\n[Schedule]\nOnCalendar=hourly\n' > "$T/p/bad.conf"

# 1. the generator: one drop-in per scheduled policy; a bad file is reported, not fatal
STASIS_POLICIES_DIR=$T/p "$GEN" "$T/gen" "$T/gen" "$T/gen" 2>"$T/gen.err"
assert_contains "$(cat "$T/gen.err")" "bad.conf:2: Paths=: 'relative' is not an absolute path"
assert_eq "$(cd "$T/gen" && echo ./*)" "./stasis-run@hourly.timer.d ./stasis-run@nightly.timer.d" "drop-ins"
assert_eq "$(grep -v '^#' "$T/gen/stasis-run@nightly.timer.d/50-policy.conf")" \
        "$(printf '[Timer]\nOnCalendar=\nOnCalendar=*-*-* 02:00:00')" "the nightly schedule"
systemd-analyze calendar "*-*-* 02:00:00" hourly >/dev/null || stasis_die "systemd-analyze calendar refused a schedule"

# 2. systemd-analyze verify: the units as installed, with the drop-ins
cd "$T/units"
for u in stasis-run@.service stasis-cleanup.service; do
        sed 's|^ExecStart=[^ ]*stasis |ExecStart=/bin/true |' "$STASIS_BUILD_DIR/data/$u" > "$u"
done
cp "$STASIS_SRC/data/stasis-run@.timer" "$STASIS_SRC/data/stasis-cleanup.timer" .
sed 's|^ExecStart=.*|ExecStart=/bin/true|' "$STASIS_BUILD_DIR/data/stasisd.service" > stasisd.service
for p in nightly hourly plain; do
        ln -s stasis-run@.timer "stasis-run@$p.timer"
        ln -s stasis-run@.service "stasis-run@$p.service"
done
cp -r "$T/gen/"*.d .
out=$(systemd-analyze verify --man=no ./stasis-run@nightly.timer ./stasis-run@hourly.timer \
      ./stasis-run@plain.timer ./stasis-cleanup.timer 2>&1) || stasis_die "systemd-analyze verify failed: $out"
# The policy's schedule is the one the timer gets: a bad one is refused.
sed -i 's/02:00:00/99:99:99/' stasis-run@nightly.timer.d/50-policy.conf
out=$(systemd-analyze verify --man=no ./stasis-run@nightly.timer 2>&1) && stasis_die "a bad schedule passed: $out"
assert_contains "$out" "Failed to parse calendar specification"

# 3. cron.d: the commands as a timer would run them
assert_contains "$(cat "$STASIS_SRC/data/stasis.cron")" "root  stasis cleanup"
echo "ok"
