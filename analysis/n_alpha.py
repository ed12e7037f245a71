"""n-alpha (0-alpha .. 4-alpha) per tree and temperature: the acceptance rate of the draft at depth n + 1
given that the n drafts before it were accepted (with chain drafts, the EAGLE paper's n-alpha: the draft's
input then holds n features it predicted itself).

    /usr/bin/python3 analysis/n_alpha.py RESULTS_DIR [--out DIR]

Per cell the values are the cell's summary/n_alpha; they are recomputed from steps/accepted and
steps/tree_depth (docs/HDF5_SCHEMA.md) and a mismatch is an error. Per tree and temperature the steps of
all eval sets and seeds are pooled. Writes n_alpha.{md,csv}, n_alpha_cells.csv, n_alpha.png.
"""
import h5py
import numpy as np
import pandas as pd

import cells
import common

N = cells.N_ALPHA
TOLERANCE = 1e-9


def cell_counts(cell):
    """(trials, successes) per n < N from the cell's steps; AnalysisError when they contradict the summary."""
    try:
        with h5py.File(cell["path"], "r") as f:
            accepted, depth = f["steps"]["accepted"][...], f["steps"]["tree_depth"][...]
    except (OSError, KeyError) as e:
        raise cells.AnalysisError(f"{cell['path']}: unreadable steps ({e})") from None
    trials, successes = cells.n_alpha_counts(accepted, depth, max(N, len(cell["n_alpha"])))
    recomputed = [s / t if t else 0.0 for t, s in zip(trials, successes)]
    summary = list(cell["n_alpha"])
    # The summary lists n < the deepest tree of the cell; beyond it there were no trials.
    expected = recomputed[:len(summary)]
    if len(summary) > len(recomputed) or not np.allclose(summary, expected, rtol=0, atol=TOLERANCE) or \
            any(trials[len(summary):]):
        raise cells.AnalysisError(
            f"{cell['path']}: summary/n_alpha {np.round(summary, 6).tolist()} differs from the value recomputed "
            f"from the steps {np.round(recomputed, 6).tolist()}")
    return trials[:N], successes[:N]


def cell_table(df):
    """One row per cell: its axes, the summary n-alpha values and the trials behind each."""
    rows = []
    for _, cell in df.iterrows():
        trials, successes = cell_counts(cell)
        row = {k: cell[k] for k in ["file", "variant", "tree", "eval_set", "temperature", "seed"] +
               df.attrs.get("extra_axes", [])}
        for n in range(N):
            row[f"{n}-alpha"] = cell["n_alpha"][n] if n < len(cell["n_alpha"]) else np.nan
        for n in range(N):
            row[f"{n}-trials"] = trials[n]
            row[f"{n}-accepted"] = successes[n]
        rows.append(row)
    return pd.DataFrame(rows)


def pooled_table(per_cell):
    """One row per variant (tree, temperature, extra axes): n-alpha over the pooled steps of its cells (NaN
    without trials). per_cell is in the cell table's order, so variants keep the tree order."""
    rows = []
    for variant, g in per_cell.groupby("variant", sort=False):
        row = {"variant": variant, "tree": g["tree"].iloc[0], "temperature": g["temperature"].iloc[0],
               "cells": len(g)}
        for n in range(N):
            trials, accepted = g[f"{n}-trials"].sum(), g[f"{n}-accepted"].sum()
            row[f"{n}-alpha"] = accepted / trials if trials else np.nan
            row[f"{n}-trials"] = int(trials)
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(pooled, per_cell):
    header = ["variant"] + [f"{n}-α" for n in range(N)]
    rows = [[r["variant"]] +
            [f"{common.fmt(r[f'{n}-alpha'])} ({r[f'{n}-trials']})" for n in range(N)] for _, r in pooled.iterrows()]
    text = common.markdown_table(header, rows, ["---"] + ["---:"] * N)
    text += ("\nPooled over the cells' eval sets and seeds; in brackets the number of steps that tried depth "
             "n + 1 with n drafts accepted (– : none).\n\nPer cell (summary/n_alpha):\n\n")
    header = ["variant", "eval set", "seed"] + [f"{n}-α" for n in range(N)]
    rows = [[r["variant"], cells.eval_set_name(r["eval_set"]), r["seed"]] +
            [common.fmt(r[f"{n}-alpha"]) if r[f"{n}-trials"] else "–" for n in range(N)]
            for _, r in per_cell.iterrows()]
    return text + common.markdown_table(header, rows, ["---", "---", "---:"] + ["---:"] * N)


def paper_markdown():
    entries = common.paper_numbers()["n_alpha"]["entries"]
    header = ["model", "T"] + [f"{n}-α" for n in range(N)] + ["source"]
    rows = [[e["model"], e["temperature"]] + [f"{a:.2f}" for a in e["alpha"]] + [e["citation"]] for e in entries]
    return entries, common.markdown_table(header, rows, ["---", "---:"] + ["---:"] * N + ["---"])


def figure(pooled, paper, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.8))
    x = np.arange(N)
    for _, r in pooled.iterrows():
        ax.plot(x, [r[f"{n}-alpha"] for n in range(N)], marker="o", label=r["variant"])
    for e, style in zip(paper, ("--", ":", "-.", (0, (5, 5)))):
        ax.plot(x, e["alpha"][:N], linestyle=style, color="grey", linewidth=1,
                label=f"paper: {e['model']} {cells.temperature_label(e['temperature'])}")
    ax.set_xticks(x, [f"{n}-α" for n in range(N)])
    ax.set_ylim(0, 1)
    ax.set_ylabel("acceptance rate")
    ax.set_title("n-alpha (grey: the paper, other models)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    common.save_figure(fig, path)


def write(df, out):
    out = common.out_dir(out)
    per_cell = cell_table(df)
    pooled = pooled_table(per_cell)
    common.write_csv(pooled, out / "n_alpha.csv")
    common.write_csv(per_cell, out / "n_alpha_cells.csv")
    ours = markdown(pooled, per_cell)
    common.write_text(out / "n_alpha.md", ours)
    paper, paper_text = paper_markdown()
    common.write_text(out / "n_alpha_paper.md", paper_text)
    figure(pooled, paper, out / "n_alpha.png")
    return ("## n-alpha (paper Tables 2-3)\n\n### This run\n\n" + ours +
            "\n### The paper (MT-bench, chain drafts; other models and hardware)\n\n" + paper_text +
            "\n![n-alpha](n_alpha.png)\n")


main = common.table_command(__doc__, write, "n-alpha")


if __name__ == "__main__":
    common.run_cli(main)
