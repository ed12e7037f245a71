"""The index of a reproduce run: one line per experiment folder (what it reproduces, its cells, its best
speedup and tau), the machine and commit from the files, and links to each folder's REPORT.md.

    /usr/bin/python3 analysis/index.py RUN_DIR --out REPORT_DIR

RUN_DIR holds one results folder per experiment (scripts/reproduce_paper.sh writes RUN_DIR/<config name>/);
REPORT_DIR/<config name>/REPORT.md are their reports (analysis/report.py). Writes REPORT_DIR/REPORT.md.
"""
import argparse
import pathlib
import sys

import pandas as pd

import cells
import common

# What each shipped config reproduces (experiments/configs/, docs/EXPERIMENTS.md).
REPRODUCES = {
    "speedup": "Tables 1-2, Fig. 1: speedup and tau by eval set",
    "n-alpha": "Fig. 7 / Table 8: n-alpha with chains",
    "tree-vs-chain": "Table 5: tree vs chain",
    "robustness": "robustness to noise on the features",
    "feature-error": "feature-error accumulation",
    "draft-inputs": "Fig. 4 / Fig. 8: draft-input ablation",
    "data-ablation": "Table 6: training data (fixed vs target-generated answers)",
    "feature-error-noise": "feature error with and without training noise",
    "quantised-target": "Table 4: quantised targets",
    "context-copies": "beyond the paper: copies from the context as one more tree branch",
    "sampled-trees": "beyond the paper: dynamic trees with children drawn from the draft at T = 1",
}


def reproduces(name):
    for key in sorted(REPRODUCES, key=len, reverse=True):
        if name.startswith(key):
            return REPRODUCES[key]
    return ""


def best(df, value, suffix=""):
    """'<value> (<variant>)' of the variant with the highest mean over its cells."""
    means = df.groupby("variant")[value].mean()
    return f"{common.fmt(means.max(), 2, suffix)} ({means.idxmax()})"


def row(folder):
    df = cells.load(folder)
    name = folder.name
    link = f"[{name}]({name}/REPORT.md)"
    if set(df["kind"]) == {"feature_error"}:
        return df, [link, reproduces(name), str(len(df)), str(int(df["requests"].sum())), "–", "–"]
    return df, [link, reproduces(name), str(len(df)), str(int(df["requests"].sum())), best(df, "speedup", "x"),
                best(df, "tau")]


def write(run_dir, out):
    folders = sorted(p for p in pathlib.Path(run_dir).iterdir() if p.is_dir() and any(p.glob("cell-*.h5")))
    if not folders:
        raise common.AnalysisError(f"{run_dir}: no experiment folders (folders holding cell-*.h5)")
    rows, frames = [], []
    for folder in folders:
        df, r = row(folder)
        rows.append(r)
        frames.append(df)
    p = cells.provenance(pd.concat(frames, ignore_index=True))
    loads = p["load"]
    lines = [
        "# Reproduced experiments", "",
        f"`scripts/reproduce_paper.sh` on {', '.join(p['cpu'])} ({', '.join(p['isa'])} kernels, "
        f"{', '.join(p['threads'])} threads), commit {', '.join(c[:12] for c in p['commit'])}, "
        f"{p['date_first']} … {p['date_last']}; model {', '.join(p['model'])}.",
        "",
        (f"The machine's 1-minute load average at the cells' starts and ends: {min(loads):.1f} – {max(loads):.1f} "
         "(each report gives its own; above the threads used, other work shared the cores and timings are slower "
         "than on an idle machine; plain and EAGLE decoding are interleaved request by request, so their ratio "
         "is less affected than either rate)." if loads else "The load average was not recorded."),
        "",
        common.markdown_table(["experiment", "the paper's", "cells", "requests", "best speedup", "best tau"], rows,
                              ["---", "---", "---:", "---:", "---", "---"]),
        "Every number in the reports comes from the cells' HDF5 files in the run folder (schema "
        "`docs/HDF5_SCHEMA.md`); each file names its config, commit, model, head and machine.",
        "",
    ]
    out = common.out_dir(out)
    common.write_text(out / "REPORT.md", "\n".join(lines))
    return out / "REPORT.md"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    print(f"index written to {write(args.run_dir, args.out)}")


if __name__ == "__main__":
    common.run_cli(main, sys.argv[1:])
