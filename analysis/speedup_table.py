"""Speedup and tau by eval set, laid out as the EAGLE paper's Tables 1-2 (rows: eval sets; columns: tree and
temperature), with a bar figure of the speedups (as the paper's Fig. 1) and the paper's own numbers.

    /usr/bin/python3 analysis/speedup_table.py RESULTS_DIR [--out DIR]

Writes speedup_table.{md,csv}, speedup_long.csv, speedup_paper.{md,csv}, speedup.png. A value is the
cell's summary/speedup and summary/tau (docs/HDF5_SCHEMA.md), averaged over seeds when there are several.
"""
import numpy as np
import pandas as pd

import cells
import common

VALUES = ("speedup", "tau", "plain_tokens_per_second", "eagle_tokens_per_second", "identical_fraction")


def long_table(df):
    """One row per (variant, eval set): the summary values averaged over seeds."""
    keys = ["variant", "tree", "temperature"] + df.attrs.get("extra_axes", []) + ["eval_set"]
    grouped = df.groupby(keys, sort=False)
    out = grouped[list(VALUES)].mean().reset_index()
    out["seeds"] = grouped.size().values
    out["eval_set_name"] = out["eval_set"].map(cells.eval_set_name)
    order = {v: i for i, v in enumerate(common.variants(df))}
    out["_v"], out["_e"] = out["variant"].map(order), out["eval_set"].map(cells.eval_set_key)
    return out.sort_values(["_v", "_e"]).drop(columns=["_v", "_e"]).reset_index(drop=True)


def column_name(variant, value):
    return f"{variant} {value}"


def wide_table(df):
    """Rows: eval sets in the paper's order; columns: '<tree> T=<t> speedup' and '<tree> T=<t> tau' (the
    variant's label: extra axes such as noise_scale=0.2 follow the temperature)."""
    long = long_table(df)
    eval_sets = sorted(long["eval_set"].unique(), key=cells.eval_set_key)
    rows = []
    for eval_set in eval_sets:
        row = {"eval_set": cells.eval_set_name(eval_set)}
        for variant in common.variants(df):
            match = long[(long["variant"] == variant) & (long["eval_set"] == eval_set)]
            for value in ("speedup", "tau"):
                row[column_name(variant, value)] = match[value].iloc[0] if len(match) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(df, wide):
    columns = common.variants(df)
    header = ["eval set"] + columns
    rows = []
    for _, r in wide.iterrows():
        rows.append([r["eval_set"]] + [
            f"{common.fmt(r[column_name(v, 'speedup')], 2, 'x')} / {common.fmt(r[column_name(v, 'tau')])}"
            for v in columns])
    seeds = df.groupby(["variant", "eval_set"]).size()
    note = "Each entry: speedup over plain decoding / tau (tokens per target forward, bonus token included)"
    note += f"; mean over {seeds.max()} seeds." if seeds.max() > 1 else "."
    return common.markdown_table(header, rows) + "\n" + note + "\n"


def paper_table(df):
    """The paper's speedup / tau for the eval sets and temperatures present in the results."""
    entries = pd.DataFrame(common.paper_numbers()["speedup_tau"]["entries"])
    eval_sets = sorted(df["eval_set"].unique(), key=cells.eval_set_key)
    temps = sorted(df["temperature"].unique())
    entries = entries[entries["eval_set"].isin(eval_sets) & entries["temperature"].isin(temps)]
    if entries.empty:
        return entries, ""
    models = list(dict.fromkeys(entries["model"]))
    header = ["eval set"] + [f"{m} {cells.temperature_label(t)}" for t in temps for m in models
                             if ((entries["model"] == m) & (entries["temperature"] == t)).any()]
    rows = []
    for eval_set in eval_sets:
        row = [cells.eval_set_name(eval_set)]
        for t in temps:
            for m in models:
                if not ((entries["model"] == m) & (entries["temperature"] == t)).any():
                    continue
                e = entries[(entries["model"] == m) & (entries["temperature"] == t) & (entries["eval_set"] == eval_set)]
                if e.empty:
                    row.append("–")
                else:
                    sp = e["speedup"].iloc[0]
                    row.append(f"{common.fmt(sp if sp == sp else None, 2, 'x')} / {common.fmt(e['tau'].iloc[0])}")
        rows.append(row)
    text = common.markdown_table(header, rows)
    text += "\n– : not stated in a table of the paper. Sources:\n\n"
    for t in temps:
        for m in models:
            e = entries[(entries["model"] == m) & (entries["temperature"] == t)]
            if len(e):
                cited = "; ".join(f"{', '.join(cells.eval_set_name(x) for x in g['eval_set'])}: {c}"
                                  for c, g in e.groupby("citation", sort=False))
                text += f"- {m} {cells.temperature_label(t)}: {cited}\n"
    return entries, text


def figure(df, path):
    import matplotlib.pyplot as plt
    long = long_table(df)
    eval_sets = sorted(long["eval_set"].unique(), key=cells.eval_set_key)
    columns = common.variants(df)
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(eval_sets) * max(1, len(columns)) / 2 + 2), 3.8))
    width = 0.8 / len(columns)
    x = np.arange(len(eval_sets))
    for i, variant in enumerate(columns):
        values = []
        for eval_set in eval_sets:
            m = long[(long["variant"] == variant) & (long["eval_set"] == eval_set)]
            values.append(m["speedup"].iloc[0] if len(m) else np.nan)
        bars = ax.bar(x - 0.4 + width * (i + 0.5), values, width, label=variant)
        ax.bar_label(bars, fmt="%.2fx", fontsize=7)
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xticks(x, [cells.eval_set_name(e) for e in eval_sets])
    ax.set_ylabel("speedup over plain decoding")
    ax.set_title("EAGLE speedup by eval set")
    ax.legend(fontsize=8)
    common.save_figure(fig, path)


def write(df, out):
    """Writes every output into `out`; returns the Markdown section for the report."""
    out = common.out_dir(out)
    wide = wide_table(df)
    common.write_csv(wide, out / "speedup_table.csv")
    common.write_csv(long_table(df), out / "speedup_long.csv")
    ours = markdown(df, wide)
    common.write_text(out / "speedup_table.md", ours)
    entries, paper = paper_table(df)
    if paper:
        common.write_csv(entries, out / "speedup_paper.csv")
        common.write_text(out / "speedup_paper.md", paper)
    figure(df, out / "speedup.png")
    section = "## Speedup and tau by eval set (paper Tables 1-2, Fig. 1)\n\n### This run\n\n" + ours
    if paper:
        section += "\n### The paper (EAGLE-1 tree; other models and hardware)\n\n" + paper
    section += "\n![speedup by eval set](speedup.png)\n"
    return section


main = common.table_command(__doc__, write, "speedup table")


if __name__ == "__main__":
    common.run_cli(main)
