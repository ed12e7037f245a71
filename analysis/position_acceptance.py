"""Positional acceptance: the probability that the k-th ranked child of an accepted node at depth d is
accepted, counted from the per-node records (docs/HDF5_SCHEMA.md, nodes/), per tree and temperature.

    /usr/bin/python3 analysis/position_acceptance.py RESULTS_DIR [--out DIR]

A trial is a verified node whose parent (at depth d, d = 0 the root) is on the accepted path; its rank k is
its index among its siblings in the draft's proposal order (0 = the draft's best). All eval sets and seeds
of a tree and temperature are pooled. Writes position_acceptance.{md,csv} and position_acceptance.png (one
heat map, depth x rank, per tree and temperature).
"""
import h5py
import numpy as np
import pandas as pd

import cells
import common


def cell_counts(path):
    """DataFrame (depth, rank, trials, accepted) of one cell; depth is the parent's depth."""
    try:
        with h5py.File(path, "r") as f:
            nodes = {k: f["nodes"][k][...] for k in ("step", "depth", "rank", "parent", "accepted")}
            first_node = f["steps"]["first_node"][...]
    except (OSError, KeyError) as e:
        raise cells.AnalysisError(f"{path}: unreadable nodes ({e})") from None
    if len(first_node) == 0 or len(nodes["step"]) and (nodes["step"].max() >= len(first_node) - 1):
        raise cells.AnalysisError(f"{path}: nodes/step does not match steps/first_node")
    tried = cells.parent_accepted(nodes, first_node)
    depth = nodes["depth"][tried].astype(np.int64) - 1
    rank = nodes["rank"][tried].astype(np.int64)
    accepted = nodes["accepted"][tried].astype(np.int64)
    if len(depth) == 0:
        return pd.DataFrame({"depth": [], "rank": [], "trials": [], "accepted": []}, dtype=np.int64)
    frame = pd.DataFrame({"depth": depth, "rank": rank, "accepted": accepted})
    grouped = frame.groupby(["depth", "rank"])["accepted"]
    return pd.DataFrame({"trials": grouped.size(), "accepted": grouped.sum()}).reset_index()


def table(df):
    """One row per (tree, temperature, depth, rank): trials, accepted, probability."""
    parts = []
    for _, cell in df.iterrows():
        counts = cell_counts(cell["path"])
        keys = ["variant", "tree", "temperature"] + df.attrs.get("extra_axes", [])
        for i, key in enumerate(keys):
            counts.insert(i, key, cell[key])
        parts.append(counts)
    all_counts = pd.concat(parts, ignore_index=True)
    out = (all_counts.groupby(keys + ["depth", "rank"], sort=False)[["trials", "accepted"]].sum().reset_index())
    out["probability"] = out["accepted"] / out["trials"]
    order = {c: i for i, c in enumerate(common.variants(df))}
    out["_order"] = out["variant"].map(order)
    out = out.sort_values(["_order", "depth", "rank"]).drop(columns="_order").reset_index(drop=True)
    out[["depth", "rank", "trials", "accepted"]] = out[["depth", "rank", "trials", "accepted"]].astype(np.int64)
    return out


def markdown(pos, columns):
    text = ""
    for variant in columns:
        g = pos[pos["variant"] == variant]
        text += f"**{variant}**\n\n"
        if g.empty:
            text += "No node with an accepted parent was verified.\n\n"
            continue
        ranks = range(int(g["rank"].max()) + 1)
        header = ["parent depth d"] + [f"rank {k}" for k in ranks]
        rows = []
        for d in range(int(g["depth"].max()) + 1):
            row = [str(d)]
            for k in ranks:
                m = g[(g["depth"] == d) & (g["rank"] == k)]
                row.append(f"{m['probability'].iloc[0]:.2f} ({m['trials'].iloc[0]})" if len(m) else "")
            rows.append(row)
        text += common.markdown_table(header, rows) + "\n"
    return text + ("Each entry: P(the rank-k child of an accepted node at depth d is accepted), in brackets the "
                   "number of such children verified; empty: the tree has no such child.\n")


def figure(pos, columns, path):
    import matplotlib.pyplot as plt
    n = len(columns)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n + 0.8, 3.4), squeeze=False)
    image = None
    for ax, variant in zip(axes[0], columns):
        g = pos[pos["variant"] == variant]
        ax.set_title(variant, fontsize=9)
        if g.empty:
            ax.set_axis_off()
            continue
        grid = np.full((int(g["depth"].max()) + 1, int(g["rank"].max()) + 1), np.nan)
        grid[g["depth"].to_numpy(), g["rank"].to_numpy()] = g["probability"].to_numpy()
        image = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        for (d, k), p in np.ndenumerate(grid):
            if p == p:
                ax.text(k, d, f"{p:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if p < 0.6 else "black")
        ax.set_xlabel("rank k among siblings")
        ax.set_ylabel("parent depth d")
        ax.set_xticks(range(grid.shape[1]))
        ax.set_yticks(range(grid.shape[0]))
    if image is not None:
        fig.colorbar(image, ax=axes[0].tolist(), label="P(accepted)")
    common.save_figure(fig, path)


def write(df, out):
    out = common.out_dir(out)
    pos = table(df)
    columns = common.variants(df)
    common.write_csv(pos, out / "position_acceptance.csv")
    text = markdown(pos, columns)
    common.write_text(out / "position_acceptance.md", text)
    figure(pos, columns, out / "position_acceptance.png")
    return ("## Acceptance by tree position (no table in the paper)\n\n" + text +
            "\n![acceptance by depth and rank](position_acceptance.png)\n")


main = common.table_command(__doc__, write, "positional acceptance")


if __name__ == "__main__":
    common.run_cli(main)
