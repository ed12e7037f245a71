#!/usr/bin/env python3
"""Writes the simulator's "this machine" hardware profile from this machine's own measurements.

The input is the JSON output of
    build/release/bench/verify_roofline --threads T --tokens 1-16,20,24,28,32,40,48,56,60,64 --json
on the default model, on an otherwise idle machine: the int8 and bf16 peaks, the read bandwidth, greedy
decoding's step, and the median time of the n-token forward (the tree verification's cost curve, from
the same run, so that every ratio shares one baseline). Every number in the profile names the
measurement it comes from; nothing is fitted to the calibration cells.

    scripts/make_machine_profile.py --roofline R.json --out data/hardware/this-machine.json
"""
import argparse
import json
import os
import platform
import statistics


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20)
    raise SystemExit("make_machine_profile: no MemTotal in /proc/meminfo")


def profile(roofline, roofline_path):
    threads = roofline["threads"]
    isa = roofline["kernel_isa"]
    where = (f"build/release/bench/verify_roofline --threads {threads} --json ({os.path.basename(roofline_path)}), "
             f"default model, kernels {isa}, load average {roofline['load_average_before']} before")
    compute_bound = [p["share_of_roofline"] for p in roofline["points"] if p["compute_bound_seconds"] > p["memory_bound_seconds"]]
    if not compute_bound:
        raise SystemExit("make_machine_profile: no compute-bound point in the roofline (time larger n with --tokens)")
    gemm_share = statistics.median(compute_bound)
    points = roofline["points"]
    if points[0]["tokens"] != 1:
        raise SystemExit("make_machine_profile: the roofline must time n = 1 (the ratios' baseline)")
    base = points[0]["median_seconds"]
    int8 = roofline["int8"]["all_threads_macs_per_s"] / 1e9
    bf16 = roofline["bf16"]["all_threads_macs_per_s"] / 1e9
    cpu = cpu_name()
    return {
        "name": f"this machine: {cpu}, {os.cpu_count()} cores, kernels {isa}",
        "notes": (f"A CPU as the accelerator: memory is the machine's RAM, one 'GPU' is the {threads}-thread process. "
                  "Written by scripts/make_machine_profile.py from the measurements named in each source."),
        "memory": {"value": memory_gib(), "unit": "GiB", "source": "/proc/meminfo MemTotal"},
        "reserved_memory": {"value": 2, "unit": "GiB", "source": "assumption: the OS and other processes"},
        "memory_bandwidth": {"value": round(roofline["read_bandwidth_gbps"], 2), "unit": "GB/s",
                             "source": where + ": streaming read bandwidth"},
        "bandwidth_share": {
            p: {"value": round(roofline["decode"]["share_of_bandwidth"], 3), "unit": "1",
                "source": where + (f": greedy decoding's share of the read bandwidth (weight bytes / bandwidth over the "
                                   f"median step of {roofline['decode']['tokens']} steps after the prompt: the plain "
                                   "step the simulator predicts, its loop included)")
                          + ("" if p == "int4" else "; the int4 (Q4_1) model's, whose LM head is int8 (Q8_0)")}
            for p in ("int4", "int8")},
        "peak": {
            "int4": {"value": round(int8, 1), "unit": "GMAC/s",
                     "source": where + f": {roofline['int8']['instruction']} peak, all threads (Q4 products run as int8)"},
            "int8": {"value": round(int8, 1), "unit": "GMAC/s",
                     "source": where + f": {roofline['int8']['instruction']} peak, all threads"},
            "bf16": {"value": round(bf16, 1), "unit": "GMAC/s",
                     "source": where + f": {roofline['bf16']['instruction']} peak, all threads"},
        },
        "gemm_efficiency": {"tokens": [1], "share": [round(gemm_share, 3)],
                            "source": where + ": the median share of the compute roofline over the compute-bound n"},
        "forward_time_ratio": {"tokens": [p["tokens"] for p in points],
                               "ratio": [round(p["median_seconds"] / base, 3) for p in points],
                               "source": where + (f": the median n-token forward (logits for every row, after a "
                                                  f"{roofline['prompt_tokens']}-token prompt) over the 1-token one; "
                                                  "re-measure after kernel changes")},
        "kernel_launch": {"value": 0, "unit": "us", "source": "no device: kernels are function calls"},
        "gpus_per_node": {"value": 1, "unit": "1", "source": f"one process with {threads} threads uses the cores"},
        "links": {
            "intra_node": {
                "name": "shared memory (MPI on one machine)",
                "latency": {"value": 2, "unit": "us", "source": "assumption: OpenMPI shared-memory transport small-message latency"},
                "bandwidth": {"value": round(roofline["read_bandwidth_gbps"] / 4, 1), "unit": "GB/s",
                              "source": "assumption: a copy through shared memory at about a quarter of the streaming bandwidth"},
            },
            "inter_node": {
                "name": "Ethernet 10 Gb/s",
                "latency": {"value": 50, "unit": "us", "source": "assumption: TCP round trip within a data centre"},
                "bandwidth": {"value": 10, "unit": "Gb/s", "source": "assumption: a 10 GbE link"},
            },
        },
        "default_runtime": "../runtimes/eaglerun-cpu.json",
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--roofline", required=True, help="verify_roofline --json output")
    ap.add_argument("--out", required=True, help="the profile JSON to write")
    a = ap.parse_args()
    try:
        with open(a.roofline) as f:
            roofline = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise SystemExit(f"make_machine_profile: {e}")
    with open(a.out, "w") as f:
        json.dump(profile(roofline, a.roofline), f, indent=2)
        f.write("\n")
    print(f"make_machine_profile: {a.out}")


if __name__ == "__main__":
    main()
