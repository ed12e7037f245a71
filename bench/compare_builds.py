"""Two builds of eaglerun on the same machine, measured in one run: is the second slower?

Runs each build's `bench/verify_roofline --json` in turn, ROUNDS times (A, B, A, B, ...), so drift
in the machine (other jobs, clock) touches both alike, and prints per verified token count n the
median of the per-run medians and the minimum over all runs for A and B, with B / A, each build's
verify cost t(n) / t(1) from the minima, and each build's best prefill rate (tokens/s, and its share
of the int8 peak measured in that run). Used to show that a change which should not touch the CPU's
speed (e.g. the backend seam) does not, and what a kernel change gains.

    python3 bench/compare_builds.py BUILD_A BUILD_B [--model GGUF] [--rounds 6] [--repeats 15]
                                    [--threads N] [--tokens LIST] [--json]

BUILD_*: a CMake build folder holding bench/verify_roofline (e.g. build/release of two worktrees
checked out at the two commits). Run it on an idle machine: the load averages before and after are
printed, and a busy machine's noise (tens of percent on a shared 2-core VM) hides small differences.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_once(build, args):
    """One verify_roofline run: ({n: (median s, min s)}, (prefill tokens/s, its share of the int8 peak))."""
    exe = pathlib.Path(build) / "bench" / "verify_roofline"
    if not exe.is_file():
        sys.exit(f"compare_builds: error: {exe} does not exist (build the verify_roofline target there)")
    cmd = [str(exe), "--model", args.model, "--repeats", str(args.repeats), "--json"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.tokens:
        cmd += ["--tokens", args.tokens]
    report = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    points = {p["tokens"]: (p["median_seconds"], p["min_seconds"]) for p in report["points"]}
    return points, (report["prefill"]["tokens_per_second"], report["prefill"]["share_of_int8_peak"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build_a")
    ap.add_argument("build_b")
    ap.add_argument("--model", default=str(ROOT / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=0, help="verify_roofline --threads (default: its own)")
    ap.add_argument("--tokens", default="", help="verify_roofline --tokens (default: its own list)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    load_before = os.getloadavg()
    runs = {"a": [], "b": []}
    prefill = {"a": [], "b": []}
    for _ in range(args.rounds):
        for key, build in (("a", args.build_a), ("b", args.build_b)):
            points, pre = run_once(build, args)
            runs[key].append(points)
            prefill[key].append(pre)
    load_after = os.getloadavg()
    rows = []
    first = min(runs["a"][0])
    low_first = {k: min(r[first][1] for r in runs[k]) for k in runs}
    for n in sorted(runs["a"][0]):
        med = {k: statistics.median(r[n][0] for r in runs[k]) for k in runs}
        low = {k: min(r[n][1] for r in runs[k]) for k in runs}
        rows.append({"tokens": n, "median_ms_a": med["a"] * 1e3, "median_ms_b": med["b"] * 1e3,
                     "median_ratio": med["b"] / med["a"], "min_ms_a": low["a"] * 1e3, "min_ms_b": low["b"] * 1e3,
                     "min_ratio": low["b"] / low["a"], "cost_a": low["a"] / low_first["a"],
                     "cost_b": low["b"] / low_first["b"]})
    best_prefill = {k: max(prefill[k]) for k in prefill}
    if args.json:
        print(json.dumps({"a": args.build_a, "b": args.build_b, "rounds": args.rounds, "repeats": args.repeats,
                          "load_before": load_before, "load_after": load_after, "rows": rows,
                          "prefill": {k: {"tokens_per_second": v[0], "share_of_int8_peak": v[1]}
                                      for k, v in best_prefill.items()}}))
        return
    print(f"A = {args.build_a}\nB = {args.build_b}\n{args.rounds} rounds A, B interleaved, verify_roofline "
          f"--repeats {args.repeats}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after\n")
    print(f"{'n':>4} {'median A ms':>12} {'median B ms':>12} {'B / A':>7} {'min A ms':>9} {'min B ms':>9} {'B / A':>7}"
          f" {'A t(n)/t(1)':>12} {'B t(n)/t(1)':>12}")
    for r in rows:
        print(f"{r['tokens']:>4} {r['median_ms_a']:>12.3f} {r['median_ms_b']:>12.3f} {r['median_ratio']:>7.3f} "
              f"{r['min_ms_a']:>9.3f} {r['min_ms_b']:>9.3f} {r['min_ratio']:>7.3f} {r['cost_a']:>12.2f} {r['cost_b']:>12.2f}")
    for k, name in (("a", "A"), ("b", "B")):
        tps, share = best_prefill[k]
        print(f"prefill {name}: {tps:.1f} tokens/s (best run), {100 * share:.1f}% of that run's int8 peak")


if __name__ == "__main__":
    main()
