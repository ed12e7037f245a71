"""Verify time by tree size: what one more tree row costs in real decoding, per tree.

    /usr/bin/python3 analysis/step_costs.py RESULTS_DIR [--out DIR]

From every cell's steps/tree_size and steps/verify_seconds (docs/HDF5_SCHEMA.md): per tree and tree size
(nodes verified, the root included) the steps, and the median and minimum verify time in ms. Sizes with
fewer than 5 steps are left out. Writes step_costs.{md,csv}.
"""
import pandas as pd

import cells
import common

MIN_STEPS = 5


def table(df):
    steps = cells.load_steps(df)
    grouped = steps.groupby(["tree", "tree_size"])["verify_seconds"]
    out = pd.DataFrame({"steps": grouped.size(), "median_ms": grouped.median() * 1e3,
                        "min_ms": grouped.min() * 1e3}).reset_index()
    return out[out["steps"] >= MIN_STEPS]


def write(df, out):
    out = common.out_dir(out)
    t = table(df)
    common.write_csv(t, out / "step_costs.csv")
    rows = [[r.tree, str(r.tree_size), str(r.steps), common.fmt(r.median_ms, 3), common.fmt(r.min_ms, 3)]
            for r in t.itertuples()]
    text = common.markdown_table(["tree", "tree rows", "steps", "verify median ms", "verify min ms"], rows,
                                 ["---", "---:", "---:", "---:", "---:"])
    common.write_text(out / "step_costs.md", text)
    return "## Verify time by tree size\n\n" + text


main = common.table_command(__doc__, write, "step costs")


if __name__ == "__main__":
    common.run_cli(main)
