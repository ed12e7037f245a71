"""Validation of draft-head training runs side by side: the last validation of each run (the head running
on its own predictions; depth d = d of its inputs are its own outputs), top-1 against the target's own
top-1 (what greedy acceptance needs) and against the data's next token, by depth, with the training
steps each run had taken and the epochs they made of its data.

    /usr/bin/python3 analysis/training_validation.py RUN_DIR [RUN_DIR ...] [--out DIR]

RUN_DIR is an `eaglerun train --out` folder (run.json, train_log.jsonl). Writes training_validation.{md,csv}
to --out (default: the current folder) and prints the Markdown table.
"""
import argparse
import json
import pathlib

import pandas as pd

import common
from cells import AnalysisError


def _read_jsonl(path):
    try:
        lines = path.read_text().splitlines()
    except OSError as e:
        raise AnalysisError(f"{path}: cannot read ({e.strerror})") from None
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise AnalysisError(f"{path}:{number}: not a JSON line") from None
    return records


def last_validation(run_dir):
    """One row: the run's name, its step and epoch, and its last validation by depth."""
    run_dir = pathlib.Path(run_dir)
    records = _read_jsonl(run_dir / "train_log.jsonl")
    validations = [r for r in records if r.get("kind") == "validation"]
    if not validations:
        raise AnalysisError(f"{run_dir}: no validation in train_log.jsonl (is it an `eaglerun train` folder?)")
    v = validations[-1]
    steps = [r for r in records if r.get("kind") == "step" and r["step"] <= v["step"]]
    row = {"run": run_dir.name, "step": v["step"], "epoch": steps[-1]["epoch"] if steps else None,
           "validation_sequences": v["sequences"], "loss": v["loss"]}
    for d, (target, token) in enumerate(zip(v["accuracy_target"], v["accuracy_token"])):
        row[f"top1_target_d{d}"] = target
        row[f"top1_token_d{d}"] = token
    return row


def markdown(t):
    depths = sorted(int(c.rsplit("d", 1)[1]) for c in t.columns if c.startswith("top1_target_d"))
    rows = [[r["run"], str(r["step"]), common.fmt(r["epoch"]), str(r["validation_sequences"]), common.fmt(r["loss"], 3),
             " ".join(common.fmt(r[f"top1_target_d{d}"], 3) for d in depths),
             " ".join(common.fmt(r[f"top1_token_d{d}"], 3) for d in depths)] for _, r in t.iterrows()]
    span = f"{depths[0]}..{depths[-1]}"
    header = ["run", "step", "epoch (last logged)", "sequences", "loss", f"top-1 vs target, depth {span}", f"top-1 vs data token, depth {span}"]
    return common.markdown_table(header, rows, ["---", "---:", "---:", "---:", "---:", "---", "---"])


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="`eaglerun train --out` folders")
    parser.add_argument("--out", default=".", help="where to write training_validation.{md,csv}")
    args = parser.parse_args(argv)
    t = pd.DataFrame([last_validation(r) for r in args.runs])
    out = common.out_dir(args.out)
    common.write_csv(t, out / "training_validation.csv")
    text = markdown(t)
    common.write_text(out / "training_validation.md", text)
    print(text, end="")


if __name__ == "__main__":
    common.run_cli(main)
