#!/usr/bin/env bash
# Deliberate breaks for the lossless tests: applies each tests/mutations/*.patch (or the ones given)
# to a scratch copy of the committed tree, rebuilds, and runs the ctest tests named by the patch's
# "expect-fail:" regex. Passes when every named test fails on every broken build; the unbroken
# copy must pass them first. Not part of CI: one build plus a rebuild per patch (~30 min on 2 cores).
# usage: scripts/mutation_check.sh [PATCH...]     scratch folder: $MUTANTS_DIR (default /tmp/eaglerun-mutants)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${MUTANTS_DIR:-/tmp/eaglerun-mutants}"
patches=("$@")
[ ${#patches[@]} -gt 0 ] || patches=("$root"/tests/mutations/*.patch)
targets=(test_eagle test_eagle_smollm2 parallel_check eaglerun)

rm -rf "$work/src"
mkdir -p "$work/src"
git -C "$root" archive HEAD | tar -x -C "$work/src"
ln -s "$root/models" "$work/src/models"
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

# run_named REGEX: runs the matching tests; prints "failed total".
run_named() {
  local summary
  summary="$(cd "$work/build" && ctest -R "$1" -j "$(nproc)" 2>&1 | grep -E 'tests passed, [0-9]+ tests? failed out of' || true)"
  [ -n "$summary" ] || { echo "0 0"; return; }
  sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/' <<< "$summary"
}

ninja -C "$work/build" "${targets[@]}" >/dev/null
all="$(for p in "${patches[@]}"; do sed -n 's/^expect-fail: //p' "$p"; done | paste -sd '|')"
read -r failed total < <(run_named "$all")
if [ "$total" -eq 0 ] || [ "$failed" -ne 0 ]; then
  echo "the unbroken tree fails $failed of the $total tests named by the patches"; exit 1
fi
echo "unbroken: $total tests named by the patches pass"

status=0
for patch in "${patches[@]}"; do
  name="$(basename "$patch" .patch)"
  regex="$(sed -n 's/^expect-fail: //p' "$patch")"
  patch -s -p1 -d "$work/src" < "$patch"
  if ! ninja -C "$work/build" "${targets[@]}" >/dev/null; then
    echo "$name: the broken tree does not build"; status=1
  else
    read -r failed total < <(run_named "$regex")
    if [ "$failed" -eq "$total" ]; then
      echo "$name: caught: $failed of $total tests fail ($(head -1 "$patch"))"
    else
      echo "$name: MISSED: only $failed of $total tests matching '$regex' fail"; status=1
    fi
  fi
  patch -s -R -p1 -d "$work/src" < "$patch"
done
exit $status
