"""Quantised targets (the EAGLE paper's Table 4, EAGLE on gpt-fast): plain and EAGLE tokens/s per target
file, for a results folder whose config lists several models (`"model": [...]`), beside the paper's table.

    /usr/bin/python3 analysis/quantised_target.py RESULTS_DIR [--out DIR]

Writes quantised_target.{md,csv} and quantised_target.png. A target is named by its file (the tensor type
is in the name when `eaglerun convert` made it: SmolLM2-135M-Instruct.Q8_0); values are means over that
target's cells (eval sets, seeds) of each cell's summary (docs/HDF5_SCHEMA.md).
"""
import numpy as np

import cells
import common

VALUES = ("plain_tokens_per_second", "eagle_tokens_per_second", "speedup", "tau", "identical_fraction")


def table(df):
    """One row per (model, tree, temperature)."""
    if "model" not in df.attrs.get("extra_axes", []):
        raise common.AnalysisError("quantised-target table: the results' config lists one model; this table "
                                   "compares several (\"model\": [...])")
    models = list(dict.fromkeys(df["model"]))
    grouped = df.groupby(["model", "tree", "temperature"], sort=False)
    out = grouped[list(VALUES)].mean().reset_index()
    out["cells"] = grouped.size().values
    out["_m"] = out["model"].map(models.index)
    return out.sort_values(["tree", "temperature", "_m"]).drop(columns="_m").reset_index(drop=True)


def markdown(t):
    rows = [[r.model, r.tree, cells.temperature_label(r.temperature), common.fmt(r.plain_tokens_per_second, 1),
             common.fmt(r.eagle_tokens_per_second, 1), common.fmt(r.speedup, 2, "x"), common.fmt(r.tau),
             common.fmt(r.identical_fraction, 3)] for r in t.itertuples()]
    header = ["target", "tree", "T", "plain tokens/s", "EAGLE tokens/s", "speedup", "tau", "identical"]
    return common.markdown_table(header, rows, ["---", "---", "---"] + ["---:"] * 5)


def paper_markdown():
    numbers = common.paper_numbers()["quantised_target"]
    rows = [[e["precision"], common.fmt(e["plain_tokens_per_second"], 1), common.fmt(e["eagle_tokens_per_second"], 1),
             common.fmt(e["eagle_tokens_per_second"] / e["plain_tokens_per_second"], 2, "x")]
            for e in numbers["entries"]]
    cited = "; ".join(dict.fromkeys(e["citation"] for e in numbers["entries"]))
    return (common.markdown_table(["target precision", "gpt-fast tokens/s", "EAGLE + gpt-fast tokens/s",
                                   "speedup"], rows) + f"\n{numbers['what']} ({cited}).\n")


def figure(t, path):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(max(5, 1.4 * len(t) + 2), 3.8))
    labels = [f"{r.model}\n{r.tree}" for r in t.itertuples()]
    x = np.arange(len(t))
    for offset, value, name in ((-0.2, "plain_tokens_per_second", "plain"), (0.2, "eagle_tokens_per_second", "EAGLE")):
        bars = ax.bar(x + offset, t[value], 0.4, label=name)
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
    ax.set_xticks(x, labels, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("tokens/s")
    ax.set_title("plain and EAGLE decoding by target precision")
    ax.legend(fontsize=8)
    common.save_figure(fig, path)


def write(df, out):
    out = common.out_dir(out)
    t = table(df)
    common.write_csv(t, out / "quantised_target.csv")
    text = markdown(t)
    common.write_text(out / "quantised_target.md", text)
    figure(t, out / "quantised_target.png")
    return ("## Quantised targets (paper Table 4)\n\n### This run\n\n" + text +
            "\n### The paper (EAGLE on gpt-fast; another model and GPU)\n\n" + paper_markdown() +
            "\n![quantised targets](quantised_target.png)\n")


main = common.table_command(__doc__, write, "quantised-target table")


if __name__ == "__main__":
    common.run_cli(main)
