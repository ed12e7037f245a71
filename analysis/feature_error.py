"""Feature-error accumulation: the head's error by depth as it feeds on its own features (cells of kind
feature_error), per eval set, as Markdown + CSV and a line figure.

    /usr/bin/python3 analysis/feature_error.py RESULTS_DIR [--out DIR]

Depth 0 reads only the target's features; depth k its own last k predictions. rel_l2 = |f^ - f| / |f|,
cosine, and top1 = the head's logits have the target's greedy token (docs/HDF5_SCHEMA.md).
"""
import h5py
import pandas as pd

import cells
import common

METRICS = ("rel_l2", "cosine", "top1")


def table(df):
    """One row per (head, eval set, depth): each metric averaged over the cell's rollouts. The head is
    named by its folder when the config lists several ("draft": [...]), else it is ''."""
    several = "draft" in df.attrs.get("extra_axes", [])
    rows = []
    for _, cell in df.iterrows():
        try:
            with h5py.File(cell["path"], "r") as f:
                means = {m: f["summary"]["feature_error_" + m][...] for m in METRICS}
        except KeyError:
            raise common.AnalysisError(f"{cell['path']}: a feature_error cell without summary/feature_error_*") from None
        for depth in range(len(means["rel_l2"])):
            rows.append({"head": cell["draft"] if several else "", "tree": cell["tree"], "eval_set": cells.eval_set_name(cell["eval_set"]), "depth": depth,
                         **{m: float(means[m][depth]) for m in METRICS}})
    return pd.DataFrame(rows)


def figure(t, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for ax, metric in zip(axes, METRICS):
        for (head, tree, eval_set), g in t.groupby(["head", "tree", "eval_set"], sort=False):
            ax.plot(g["depth"], g[metric], marker="o", label=f"{head + ', ' if head else ''}{eval_set} ({tree})")
        ax.set_xlabel("depth (own features read)")
        ax.set_title(metric)
    axes[0].legend(fontsize=7)
    common.save_figure(fig, path)


def write(df, out):
    out = common.out_dir(out)
    t = table(df)
    common.write_csv(t, out / "feature_error.csv")
    heads = t["head"].ne("").any()
    rows = [([r.head] if heads else []) + [r.eval_set, r.tree, str(r.depth), common.fmt(r.rel_l2, 3),
                                           common.fmt(r.cosine, 3), common.fmt(r.top1, 3)] for r in t.itertuples()]
    header = (["head"] if heads else []) + ["eval set", "tree", "depth", "relative L2", "cosine", "top-1 agreement"]
    text = common.markdown_table(header, rows, ["---"] * (2 + heads) + ["---:"] * 4)
    common.write_text(out / "feature_error.md", text)
    figure(t, out / "feature_error.png")
    return ("## Feature-error accumulation\n\nThe head's prediction of the target's feature at depth k, after "
            "reading k of its own predictions (depth 0: only the target's features).\n\n" + text +
            "\n![feature error](feature_error.png)\n")


main = common.table_command(__doc__, write, "feature error")


if __name__ == "__main__":
    common.run_cli(main)
