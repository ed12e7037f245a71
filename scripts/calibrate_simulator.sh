#!/usr/bin/env bash
# Calibrates the simulator on this machine (docs/SIMULATOR.md, "Calibration on this machine"):
#   1. measures the machine: bench/verify_roofline (peaks, bandwidth, greedy decoding, and the
#      n-token forward for n = 1..64: the tree cost curve), kept in data/hardware/measurements/;
#   2. writes data/hardware/this-machine.json from them (scripts/make_machine_profile.py);
#   3. records the calibration cells (experiments/configs/calibration-smollm2.json, resumable) and
#      copies them to docs/results/cells/calibration-smollm2/;
#   4. prints `eaglerun simulate --calibrate data/simulator/calibration.json`, the cells beside the
#      model's predictions.
# Run it on an otherwise idle machine (the cells record the load average, and the simulator compares
# plain tokens/s only where it stayed below threads + 0.5): about 25 minutes on 2 cores.
#   scripts/calibrate_simulator.sh [--profile-only]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
profile_only=0
if [ "${1:-}" = "--profile-only" ]; then profile_only=1; shift; fi
build="${EAGLERUN_BUILD:-build/release}"
eaglerun="$build/apps/eaglerun"
threads="$(nproc)"
measured=data/hardware/measurements
mkdir -p "$measured"

echo "== measuring this machine ($threads threads)"
"$build/bench/verify_roofline" --threads "$threads" --tokens 1-16,20,24,28,32,40,48,56,60,64 --json \
  >"$measured/this-machine-roofline.json"
python3 scripts/make_machine_profile.py --roofline "$measured/this-machine-roofline.json" \
  --out data/hardware/this-machine.json
[ $profile_only -eq 1 ] && exit 0

echo "== recording the calibration cells"
"$eaglerun" experiment run experiments/configs/calibration-smollm2.json --out runs/calibration-smollm2 \
  --set "threads=$threads"
/usr/bin/python3 tests/experiments/check_experiment_cells.py runs/calibration-smollm2
mkdir -p docs/results/cells/calibration-smollm2
cp runs/calibration-smollm2/cell-*.h5 docs/results/cells/calibration-smollm2/

echo "== the simulator beside the cells"
"$eaglerun" simulate --calibrate data/simulator/calibration.json
