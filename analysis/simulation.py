"""Speedup vs GPU count, vs batch and vs tree size from `eaglerun simulate` sweep files.

    /usr/bin/python3 analysis/simulation.py SWEEP.h5 [SWEEP.h5 ...] --out DIR

Reads files of schema `eaglerun.simulation` v1 (docs/HDF5_SCHEMA.md), one row per simulated point, and
writes simulation.csv (every point), simulation.md (the points as a table, failed points with their
error) and a figure for each axis that varies among the points: speedup_vs_gpus.png, speedup_vs_batch.png,
speedup_vs_tree_size.png (one line per combination of the other inputs).
"""
import argparse
import pathlib
import sys

import h5py
import pandas as pd

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import common  # noqa: E402
from cells import AnalysisError, text  # noqa: E402

SCHEMA, VERSION = "eaglerun.simulation", 1
STRINGS = ("model", "hardware", "runtime", "weights", "tree", "error")
NUMBERS = ("tp", "pp", "ep", "gpus", "batch", "context", "tree_nodes", "max_batch_plain", "max_batch_eagle", "tau",
           "plain_tokens_per_second", "eagle_tokens_per_second", "speedup")
# axis -> (column, label); the other inputs name a line
AXES = {"gpus": ("gpus", "GPUs (tp x pp x ep)"), "batch": ("batch", "batch size"),
        "tree_size": ("tree_nodes", "tree nodes verified per step")}
INPUTS = ("model", "hardware", "runtime", "weights", "tree", "tp", "pp", "ep", "batch", "context")


def load_file(path):
    """One sweep file -> DataFrame; AnalysisError names the file and what is wrong."""
    try:
        with h5py.File(path, "r") as f:
            if text(f.attrs.get("schema", "")) != SCHEMA:
                raise AnalysisError(f"{path}: not a simulation sweep (schema {SCHEMA})")
            if int(f.attrs.get("schema_version", -1)) != VERSION:
                raise AnalysisError(f"{path}: schema_version {f.attrs.get('schema_version')} is not known")
            columns = {name: [text(v) for v in f[name][:]] for name in STRINGS}
            columns.update({name: f[name][:] for name in NUMBERS})
    except OSError as e:
        raise AnalysisError(f"{path}: cannot read as HDF5 ({e})") from None
    except KeyError as e:
        raise AnalysisError(f"{path}: missing dataset {e}") from None
    df = pd.DataFrame(columns)
    df["file"] = pathlib.Path(path).name
    return df


def load(paths):
    if not paths:
        raise AnalysisError("no sweep files given")
    return pd.concat([load_file(p) for p in paths], ignore_index=True)


def line_label(row, fixed):
    return ", ".join(f"{c}={row[c]}" for c in fixed)


def draw_axis(ok, axis, out):
    """speedup_vs_<axis>.png when the axis takes several values; returns the file name or None."""
    import matplotlib.pyplot as plt
    column, label = AXES[axis]
    if ok[column].nunique() < 2:
        return None
    others = [c for c in INPUTS if c != column and ok[c].nunique() > 1 and not (axis == "gpus" and c in ("tp", "pp", "ep"))
              and not (axis == "tree_size" and c == "tree")]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    groups = ok.groupby(others if len(others) > 1 else others[0], sort=False) if others else [((), ok)]
    for key, group in groups:
        group = group.sort_values(column)
        name = line_label(group.iloc[0], others) if others else "speedup"
        ax.plot(group[column], group["speedup"], marker="o", label=name)
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xlabel(label)
    ax.set_ylabel("EAGLE speedup over plain decoding")
    ax.legend(fontsize=7)
    name = f"speedup_vs_{axis}.png"
    common.save_figure(fig, out / name)
    return name


def write(df, out):
    out = common.out_dir(out)
    common.write_csv(df, out / "simulation.csv")
    ok, failed = df[df["error"] == ""], df[df["error"] != ""]
    rows = [[r.model, r.hardware, r.runtime, f"{r.tp}/{r.pp}/{r.ep}", r.weights, r.tree, r.batch, r.context,
             common.fmt(r.tau), common.fmt(r.plain_tokens_per_second, 1), common.fmt(r.eagle_tokens_per_second, 1),
             common.fmt(r.speedup, 2, "x"), f"{r.max_batch_plain} / {r.max_batch_eagle}"] for r in ok.itertuples()]
    header = ["model", "hardware", "runtime", "tp/pp/ep", "weights", "tree", "batch", "context", "tau", "plain tok/s",
              "EAGLE tok/s", "speedup", "max batch plain / EAGLE"]
    md = "# Simulated points\n\n" + common.markdown_table(header, rows, ["---"] * 6 + ["---:"] * 7)
    if len(failed):
        md += "\n## Points that did not run\n\n" + "".join(
            f"- {r.model} on {r.hardware}, tp/pp/ep {r.tp}/{r.pp}/{r.ep}, batch {r.batch}: {r.error}\n"
            for r in failed.itertuples())
    figures = [name for axis in AXES if (name := draw_axis(ok, axis, out))]
    md += "".join(f"\n![{name}]({name})\n" for name in figures)
    common.write_text(out / "simulation.md", md)
    return figures


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="sweep files written by `eaglerun simulate ... --out FILE.h5`")
    parser.add_argument("--out", required=True, help="where to write the table and figures")
    args = parser.parse_args(argv)
    df = load(args.files)
    figures = write(df, pathlib.Path(args.out))
    print(f"{len(df)} simulated points, figures: {', '.join(figures) or 'none'} -> {args.out}")


if __name__ == "__main__":
    common.run_cli(main)
