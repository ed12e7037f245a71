"""Draft-head ablations: tau, 0-alpha, 1-alpha and speedup per draft head, for a results folder whose config
lists several heads (`"draft": [...]`), beside the paper's figures for heads named as the paper's variants:
the draft-input ablation (Fig. 4 and Fig. 8) and the training-data ablation (Table 6).

    /usr/bin/python3 analysis/draft_inputs.py RESULTS_DIR [--out DIR]

Writes draft_inputs.{md,csv} and draft_inputs.png. A head is named by its folder (scripts/
train_ablation_heads.sh names them by their inputs: feature_and_shifted_token, feature_only, token_only,
feature_and_unshifted_token, no_feature_noise; scripts/train_data_ablation.sh by their data: fixed_sharegpt,
target_generated); values are means over the cells of that head (eval sets, seeds), each cell's summary as
docs/HDF5_SCHEMA.md defines it.
"""
import numpy as np

import cells
import common

VALUES = ("tau", "alpha_0", "alpha_1", "speedup", "plain_tokens_per_second", "eagle_tokens_per_second")


def paper_entries():
    """The paper's figures per head name: (speedup, tau, citation) of both ablations."""
    numbers = common.paper_numbers()
    entries = {e["inputs"]: e for e in numbers["draft_inputs"]["entries"]}
    entries.update({e["head"]: e for e in numbers["training_data"]["entries"]})
    return entries


def table(df):
    """One row per (head, tree, temperature): the mean of each value over that head's cells."""
    if "draft" not in df.attrs.get("extra_axes", []):
        raise common.AnalysisError("draft-input table: the results' config lists one draft head; "
                                   "this table compares several (\"draft\": [...])")
    heads = list(dict.fromkeys(df["draft"]))  # config order (cells.load sorts by it)
    grouped = df.groupby(["draft", "tree", "temperature"], sort=False)
    out = grouped[list(VALUES)].mean().reset_index()
    out["cells"] = grouped.size().values
    out["steps"] = grouped["steps"].sum().values
    paper = paper_entries()
    for value in ("speedup", "tau"):
        out[f"paper_{value}"] = [paper.get(h, {}).get(value) for h in out["draft"]]
        out[f"paper_{value}"] = out[f"paper_{value}"].astype(float)
    out["_h"] = out["draft"].map(heads.index)
    return out.sort_values(["tree", "temperature", "_h"]).drop(columns="_h").reset_index(drop=True)


def _known(x):
    return None if x != x else x  # NaN: the paper gives no number


def markdown(t):
    rows = [[r.draft, r.tree, cells.temperature_label(r.temperature), common.fmt(r.tau), common.fmt(r.alpha_0),
             common.fmt(r.alpha_1), common.fmt(r.speedup, 2, "x"), str(r.steps),
             common.fmt(_known(r.paper_speedup), 2, "x"), common.fmt(_known(r.paper_tau))]
            for r in t.itertuples()]
    header = ["head", "tree", "T", "tau", "0-alpha", "1-alpha", "speedup", "steps", "paper speedup", "paper tau"]
    paper = paper_entries()
    cited = "; ".join(dict.fromkeys(paper[h]["citation"] for h in t["draft"] if h in paper))
    numbers = common.paper_numbers()
    models = f"draft inputs: {numbers['draft_inputs']['what']}; training data: {numbers['training_data']['what']}"
    return (common.markdown_table(header, rows, ["---", "---", "---"] + ["---:"] * 7) +
            f"\nThe paper's columns ({models}): {cited or 'no head here is named as one of its variants'}; "
            "– where the paper gives no number.\n")


def figure(t, path):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    labels = [f"{r.draft}\n{r.tree} {cells.temperature_label(r.temperature)}" if t["tree"].nunique() > 1
              or t["temperature"].nunique() > 1 else r.draft for r in t.itertuples()]
    x = np.arange(len(t))
    for i, (value, name) in enumerate((("tau", "tau"), ("alpha_0", "0-alpha"), ("alpha_1", "1-alpha"))):
        ax = axes[0] if value == "tau" else axes[1]
        offset = 0 if value == "tau" else (i - 1.5) * 0.35
        width = 0.6 if value == "tau" else 0.35
        bars = ax.bar(x + offset, t[value], width, label=name)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    for ax, title in zip(axes, ("tau (tokens per target forward)", "acceptance rate")):
        ax.set_xticks(x, labels, rotation=20, ha="right", fontsize=8)
        ax.set_title(title)
    axes[1].legend(fontsize=8)
    common.save_figure(fig, path)


def write(df, out):
    out = common.out_dir(out)
    t = table(df)
    common.write_csv(t, out / "draft_inputs.csv")
    text = markdown(t)
    common.write_text(out / "draft_inputs.md", text)
    figure(t, out / "draft_inputs.png")
    return ("## Draft-head ablation (paper Fig. 4 / Fig. 8: draft inputs; Table 6: training data)\n\nHeads trained "
            "with the same budget, differing in what they read (draft inputs; no_feature_noise: trained without "
            "feature noise) or in who wrote their training answers (fixed_sharegpt, target_generated); the "
            "experiment's chain drafting gives tau, 0-alpha and 1-alpha from the same steps.\n\n" +
            text + "\n![draft inputs](draft_inputs.png)\n")


main = common.table_command(__doc__, write, "draft-input table")


if __name__ == "__main__":
    common.run_cli(main)
