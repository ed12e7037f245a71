"""Every table and figure of analysis/ for one results folder, in one REPORT.md.

    /usr/bin/python3 analysis/report.py RESULTS_DIR [--out DIR]
    /usr/bin/python3 analysis/report.py RESULTS_DIR RESULTS_DIR... --out DIR

Writes REPORT.md (every table inline, the figures linked, the paper's numbers beside ours) and the files of
speedup_table.py, n_alpha.py and position_acceptance.py into DIR (default RESULTS_DIR/analysis). With
several folders, each one's report goes to DIR/<folder name>/ (one process for all: the libraries load once).
"""
import argparse
import json
import pathlib

import cells
import common
import draft_inputs
import feature_error
import n_alpha
import position_acceptance
import quantised_target
import speedup_table


def _one(values, what):
    if not values:
        return "(not recorded)"
    return values[0] if len(values) == 1 else f"{len(values)} different {what}: " + ", ".join(values)


def _load(loads, df):
    """The machine's 1-minute load average at the cells' starts and ends, against the threads used."""
    if not loads:
        return "(not recorded)"
    threads = max(int(t) for t in df["threads"] if t == t) * max(int(w) for w in df["world_size"] if w == w)
    shared = max(loads) > threads + 0.5
    return (f"{min(loads):.1f} – {max(loads):.1f} at the cells' starts and ends, {threads} threads used" +
            (": other work shared the cores, so timings are slower than on an idle machine" if shared else ""))


def header(df, results):
    p = cells.provenance(df)
    model = _one(p["model"], "models")
    if len(p["model_sha256"]) == 1:
        model += f" (sha256 {p['model_sha256'][0][:16]}…)"
    head = _one(p["head"], "heads")
    if len(p["head_sha256"]) == 1:
        head += f" (sha256 of its weights {p['head_sha256'][0][:16]}…)"
    commit = _one(p["commit"], "commits")
    if "1" in p["dirty"]:
        commit += " (with uncommitted changes to tracked files)"
    dates = p["date_first"] if p["date_first"] == p["date_last"] else f"{p['date_first']} … {p['date_last']}"
    config = df.iloc[0]["config"]
    settings = {k: config[k] for k in ("kind", "draft", "draft_vocab", "max_new_tokens", "prompt_limit",
                                       "max_turns", "top_p", "top_k") if k in config and k not in df.attrs["extra_axes"]}
    lines = [
        "# EAGLE experiment report", "",
        f"Results: `{results}`, {len(df)} cells, {int(df['requests'].sum())} requests, "
        f"{int(df['steps'].sum())} speculative steps, {int(df['nodes'].sum())} verified tree nodes.", "",
        "| | |", "| --- | --- |",
        f"| model | {model} |",
        f"| draft head | {head} |",
        f"| commit | {commit} |",
        f"| CPU | {_one(p['cpu'], 'CPUs')}, kernels {_one(p['isa'], 'ISAs')}, {_one(p['threads'], 'settings')} "
        f"threads, precision {_one(p['precision'], 'settings')} |",
        f"| date (UTC) | {dates} |",
        f"| load average | {_load(p['load'], df)} |",
        f"| settings | `{json.dumps(settings)}` |",
        f"| trees | {', '.join(dict.fromkeys(df['tree']))} |",
        *[f"| {axis} | {', '.join(str(v) for v in sorted(df[axis].unique()))} |" for axis in df.attrs["extra_axes"]],
        f"| eval sets | {', '.join(cells.eval_set_name(e) for e in sorted(df['eval_set'].unique(), key=cells.eval_set_key))} |",
        f"| temperatures | {', '.join(f'{t:g}' for t in sorted(df['temperature'].unique()))} |",
        f"| seeds | {', '.join(str(s) for s in sorted(df['seed'].unique()))} |",
        "",
        f"Greedy cells must reproduce plain decoding token for token: identical fraction at T=0 "
        f"{common.fmt(df.loc[df['temperature'] == 0, 'identical_fraction'].min(), 3)} (minimum over cells).",
        "",
        "**Comparing with the paper.** " + common.paper_numbers()["setting"] + " The paper's numbers below "
        "come from `analysis/paper_numbers.json`, each with its table.",
        "",
    ]
    return "\n".join(lines)


def write(df, results, out):
    out = common.out_dir(out)
    if set(df["kind"]) == {"feature_error"}:  # no EAGLE decoding: the error-by-depth table only
        sections = [header(df, results), feature_error.write(df, out)]
    else:
        sections = [header(df, results)]
        extra = df.attrs["extra_axes"]
        if "draft" in extra:
            sections.append(draft_inputs.write(df, out))
        if "model" in extra:
            sections.append(quantised_target.write(df, out))
        sections += [speedup_table.write(df, out), n_alpha.write(df, out), position_acceptance.write(df, out)]
    cells_csv = df.drop(columns=["config", "experiment_config", "n_alpha", "path", "variant_order"])
    common.write_csv(cells_csv, out / "cells.csv")
    tables = sorted(p.name for p in out.glob("*.csv") if p.name != "cells.csv")
    sections.append("## Files\n\nPer cell: `cells.csv`. Tables as CSV: " + ", ".join(f"`{t}`" for t in tables) +
                    ". Definitions: `analysis/README.md` and `docs/HDF5_SCHEMA.md`.\n")
    common.write_text(out / "REPORT.md", "\n".join(sections))
    return out / "REPORT.md"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="folders written by `eaglerun experiment run --out`")
    parser.add_argument("--out", help="where to write tables and figures (default: RESULTS/analysis; "
                                      "required with several folders: DIR/<folder name>/)")
    args = parser.parse_args(argv)
    if len(args.results) > 1 and not args.out:
        raise common.AnalysisError("--out is required with several results folders")
    for results in args.results:
        if len(args.results) > 1:
            out = pathlib.Path(args.out) / pathlib.Path(results).name
        else:
            out = pathlib.Path(args.out) if args.out else pathlib.Path(results) / "analysis"
        df = cells.load(results)
        path = write(df, results, out)
        print(f"report of {len(df)} cells written to {path}")


if __name__ == "__main__":
    common.run_cli(main)
