#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-faults-random.sh [ITERATIONS] [SEED] - the long run of the seeded fault
# injection and power-cut test (test/integration/test-faults-random.sh; the
# suite runs 24 iterations): kills stasisd or its worker at random moments
# of `stasis create`, checks after each that nothing is frozen and every
# acknowledged set is there, and that a copy of the state file system taken
# right after each acknowledgement holds it; at the end stasisd boots on the
# copy from the middle of the run and must list every snapshot made after it
# as an orphan. Default: 500 iterations, a
# fresh seed (printed; give it again to replay). Needs root and a build.
set -euo pipefail
export STASIS_FAULT_ITERATIONS=${1:-500}
[ $# -lt 2 ] || export STASIS_FAULT_SEED=$2
STASIS_SRC=${STASIS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
export STASIS_SRC
exec bash "$STASIS_SRC/test/integration/test-faults-random.sh"
