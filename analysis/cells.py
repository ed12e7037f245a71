"""Reads a folder of experiment cells (schema eaglerun.experiment v1, docs/HDF5_SCHEMA.md) into pandas.

    import cells
    results = cells.load("runs/speedup")      # one row per cell: axes, provenance, summary
    steps = cells.load_steps(results)          # one row per speculative step (on demand)
    nodes = cells.load_nodes(results)          # one row per verified tree node (on demand)

Every `cell-*.h5` of the folder is read; a file that is not a cell of this schema and version (another
HDF5 file, a missing dataset, not HDF5 at all) raises AnalysisError naming the file. Unfinished
`*.h5.partial` cells and other `*.h5` files are reported on stderr, never dropped silently.
"""
import json
import math
import pathlib
import sys

import h5py
import numpy as np
import pandas as pd

SCHEMA = "eaglerun.experiment"
SCHEMA_VERSION = 1

# Datasets every cell must hold (docs/HDF5_SCHEMA.md, "experiment cells").
REQUIRED = {
    "requests": ("id", "eval_set", "turn", "identical", "tau", "first_step", "plain_offsets", "eagle_offsets",
                 "plain_prefill_seconds", "plain_decode_seconds", "eagle_prefill_seconds",
                 "eagle_decode_seconds", "plain_target_forwards", "eagle_target_forwards"),
    "steps": ("request", "tree_size", "tree_depth", "accepted", "draft_seconds", "verify_seconds", "first_node"),
    "nodes": ("step", "depth", "rank", "parent", "token", "accepted"),
    "summary": ("tau", "n_alpha", "plain_tokens_per_second", "eagle_tokens_per_second", "speedup",
                "identical_fraction"),
}
REQUIRED_ATTRS = ("schema", "schema_version", "config", "git_commit", "model_path", "model_sha256", "cpu_model",
                  "date_utc")
PROVENANCE_ATTRS = ("git_commit", "git_dirty", "eaglerun_version", "date_utc", "model_path", "model_sha256",
                    "head_path", "head_sha256", "precision", "device", "threads", "world_size", "tp", "pp", "ep",
                    "cpu_model", "kernel_isa", "memory_bandwidth_gbps", "load_average_start", "load_average_end")

# Eval sets in the paper's order (Tables 1-2: MT-bench, HumanEval, GSM8K, Alpaca) and their printed names.
EVAL_SET_ORDER = ("mt_bench", "humaneval", "gsm8k", "alpaca")
EVAL_SET_NAMES = {"mt_bench": "MT-bench", "humaneval": "HumanEval", "gsm8k": "GSM8K", "alpaca": "Alpaca"}

KNOWN_AXES = ("trees", "eval_sets", "temperatures", "seeds")
PATH_AXES = ("model", "draft")  # axes whose values are files or folders, shown by name

# Number of n-alpha values the tables show (the paper's 0-alpha .. 4-alpha).
N_ALPHA = 5


class AnalysisError(Exception):
    """A results folder or file that cannot be analysed; the message names it."""


def text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return text(value[()])
    return str(value)


def eval_set_name(eval_set):
    """The printed name of an eval set: the paper's for the known ones, the file stem for a .jsonl path."""
    if eval_set in EVAL_SET_NAMES:
        return EVAL_SET_NAMES[eval_set]
    return pathlib.Path(eval_set).stem if eval_set.endswith(".jsonl") else eval_set


def eval_set_key(eval_set):
    """Sort key: the paper's order first, then any other set by name."""
    if eval_set in EVAL_SET_ORDER:
        return (0, EVAL_SET_ORDER.index(eval_set), "")
    return (1, 0, eval_set)


def temperature_label(t):
    return f"T={t:g}"


def _scalar(group, name, path):
    data = group[name][...]
    if data.shape != (1,):
        raise AnalysisError(f"{path}: summary/{name} has shape {data.shape}, expected (1,)")
    return float(data[0])


def _check_layout(f, path):
    if "schema" not in f.attrs:
        raise AnalysisError(f"{path}: not an experiment cell (no 'schema' attribute; expected schema {SCHEMA})")
    schema = text(f.attrs["schema"])
    if schema != SCHEMA:
        raise AnalysisError(f"{path}: schema '{schema}', expected '{SCHEMA}'")
    version = f.attrs.get("schema_version")
    try:
        version = int(np.asarray(version).reshape(-1)[0])
    except (TypeError, ValueError, IndexError):
        raise AnalysisError(f"{path}: unreadable schema_version {version!r}") from None
    if version != SCHEMA_VERSION:
        raise AnalysisError(f"{path}: {SCHEMA} schema_version {version} is not supported (this reader knows "
                            f"version {SCHEMA_VERSION})")
    missing = [a for a in REQUIRED_ATTRS if a not in f.attrs]
    for group, names in REQUIRED.items():
        if group not in f or not isinstance(f[group], h5py.Group):
            missing.append(group + "/")
            continue
        missing += [f"{group}/{n}" for n in names if n not in f[group] or not isinstance(f[group][n], h5py.Dataset)]
    if missing:
        raise AnalysisError(f"{path}: missing {', '.join(missing)}")


def _read_cell(path):
    """One row of the cell table, or AnalysisError."""
    try:
        if not h5py.is_hdf5(path):
            raise AnalysisError(f"{path}: not an HDF5 file")
        with h5py.File(path, "r") as f:
            _check_layout(f, path)
            try:
                config = json.loads(text(f.attrs["config"]))
            except json.JSONDecodeError as e:
                raise AnalysisError(f"{path}: attribute 'config' is not JSON ({e})") from None
            for axis in ("trees", "eval_sets", "temperatures"):
                if axis not in config:
                    raise AnalysisError(f"{path}: config has no '{axis}'")
            try:
                experiment = json.loads(text(f.attrs.get("experiment_config", "{}")))
            except json.JSONDecodeError as e:
                raise AnalysisError(f"{path}: attribute 'experiment_config' is not JSON ({e})") from None
            summary = f["summary"]
            n_alpha = [float(x) for x in summary["n_alpha"][...]]
            steps = f["steps"]
            row = {
                "file": path.name,
                "path": str(path),
                "cell": int(config.get("cell_index", -1)),
                "kind": config.get("kind", ""),
                "tree": str(config["trees"]),
                "eval_set": str(config["eval_sets"]),
                "temperature": float(config["temperatures"]),
                "seed": int(config.get("seeds", 0)),
                "max_new_tokens": config.get("max_new_tokens"),
                "draft_vocab": config.get("draft_vocab"),
                "config": config,
                "experiment_config": experiment,
                "requests": int(len(f["requests"]["turn"])),
                "steps": int(len(steps["accepted"])),
                "nodes": int(len(f["nodes"]["step"])),
                "tau": _scalar(summary, "tau", path),
                "n_alpha": n_alpha,
                "speedup": _scalar(summary, "speedup", path),
                "plain_tokens_per_second": _scalar(summary, "plain_tokens_per_second", path),
                "eagle_tokens_per_second": _scalar(summary, "eagle_tokens_per_second", path),
                "identical_fraction": _scalar(summary, "identical_fraction", path),
            }
            for attr in PROVENANCE_ATTRS:
                value = f.attrs.get(attr)
                if value is None:
                    row[attr] = None
                elif isinstance(value, (bytes, str)):
                    row[attr] = text(value)
                else:
                    row[attr] = np.asarray(value).reshape(-1)[0].item()
            return row
    except AnalysisError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as e:
        raise AnalysisError(f"{path}: unreadable experiment cell ({type(e).__name__}: {e})") from None


def _warn(message):
    print(f"analysis: warning: {message}", file=sys.stderr)


def cell_files(folder):
    """The `cell-*.h5` files of a results folder, sorted; AnalysisError when there are none."""
    folder = pathlib.Path(folder)
    if not folder.exists():
        raise AnalysisError(f"{folder}: no such results folder")
    if not folder.is_dir():
        raise AnalysisError(f"{folder}: not a folder (give the folder an experiment run wrote with --out)")
    files = sorted(folder.glob("cell-*.h5"))
    partial = sorted(folder.glob("*.h5.partial"))
    if partial:
        _warn(f"{folder}: {len(partial)} unfinished cell(s) ignored ({', '.join(p.name for p in partial)}); "
              "rerun the experiment to complete them")
    others = sorted(p for p in folder.glob("*.h5") if p not in files)
    if others:
        _warn(f"{folder}: ignored, not named cell-*.h5: {', '.join(p.name for p in others)}")
    if not files:
        raise AnalysisError(f"{folder}: no experiment cells (cell-*.h5) in this folder")
    return files


def load(folder):
    """One row per cell: axes (tree, eval_set, temperature, seed), provenance and summary values.

    Rows are sorted by tree (config order), eval set (paper order), temperature and seed."""
    rows = [_read_cell(p) for p in cell_files(folder)]
    df = pd.DataFrame(rows)
    for n in range(N_ALPHA):
        df[f"alpha_{n}"] = [r[n] if n < len(r) else math.nan for r in df["n_alpha"]]
    df["eval_set_name"] = df["eval_set"].map(eval_set_name)
    # Axes beyond the four common ones (noise_scales of the robustness kind; model and draft when
    # the config lists several): every list-valued setting of the experiment config; each becomes a
    # column and part of the variant label. Models and heads are labelled by their file or folder name.
    extra = sorted({k for e in df["experiment_config"] for k, v in e.items()
                    if isinstance(v, list) and k not in KNOWN_AXES})
    for axis in extra:
        df[axis] = [path_label(c.get(axis)) if axis in PATH_AXES else c.get(axis) for c in df["config"]]
    for attr, what, axis in (("model_sha256", "models", "model"), ("head_sha256", "draft heads", "draft")):
        values = sorted({v for v in df[attr] if v is not None})
        if len(values) > 1 and axis not in extra:
            raise AnalysisError(f"{folder}: cells of {len(values)} different {what} ({attr} "
                                f"{', '.join(v[:12] for v in values)}); analyse one experiment per folder")
    df.attrs["extra_axes"] = extra
    df["variant"] = [variant_label(r, extra) for _, r in df.iterrows()]
    keys = ["tree", "eval_set", "temperature", "seed"] + extra
    duplicated = df[df.duplicated(keys, keep=False)]
    if len(duplicated):
        raise AnalysisError(f"{folder}: several cells for the same tree, eval set, temperature and seed: "
                            f"{', '.join(duplicated['file'])}")
    tree_order = _tree_order(df)
    df["_tree"] = df["tree"].map(tree_order.index)
    df["_eval"] = df["eval_set"].map(eval_set_key)
    # Models and heads in the config's order, other extra axes by value.
    order = []
    for axis in extra:
        if axis in PATH_AXES:
            listed = [path_label(v) for v in df.iloc[0]["experiment_config"][axis]]
            df["_" + axis] = df[axis].map(lambda v, listed=listed: listed.index(v) if v in listed else len(listed))
            order.append("_" + axis)
        else:
            order.append(axis)
    # Variants (tree, temperature and any extra axis: one column of the tables) in tree order.
    variants = df.sort_values(["_tree", "temperature"] + order)["variant"]
    df["variant_order"] = df["variant"].map({v: i for i, v in enumerate(dict.fromkeys(variants))})
    paths = [c for c in order if c.startswith("_")]
    others = [c for c in order if not c.startswith("_")]
    df = df.sort_values(paths + ["_tree", "_eval", "temperature"] + others + ["seed"])
    df = df.drop(columns=["_tree", "_eval"] + paths)
    df = df.reset_index(drop=True)
    df.attrs["extra_axes"] = extra
    return df


def path_label(path):
    """'runs/heads/feature_only/' -> 'feature_only'; 'models/x.Q8_0.gguf' -> 'x.Q8_0'; 'default' stays."""
    name = pathlib.PurePath(str(path).rstrip("/")).name
    return name[:-5] if name.endswith(".gguf") else name


def variant_label(row, extra_axes=()):
    """'<tree> T=<t>', plus '<axis>=<value>' for every extra axis (noise_scales=0.2 -> noise_scale=0.2)."""
    label = f"{row['tree']} {temperature_label(row['temperature'])}"
    for axis in extra_axes:
        label += f" {axis[:-1] if axis.endswith('s') else axis}={row[axis]:g}" if isinstance(row[axis], float) \
            else f" {axis[:-1] if axis.endswith('s') else axis}={row[axis]}"
    return label


def _tree_order(df):
    """Trees in the experiment config's order (the order they were asked for), else first seen."""
    listed = df.iloc[0]["experiment_config"].get("trees", [])
    order = [str(t) for t in (listed if isinstance(listed, list) else [listed])]
    for tree in df["tree"]:
        if tree not in order:
            order.append(tree)
    return order


def _frame(path, group, names):
    with h5py.File(path, "r") as f:
        return {n: f[group][n][...] for n in names}


def load_steps(cells_df):
    """One row per speculative step of every cell: the cell's axes plus request, step, tree_size,
    tree_depth, accepted, draft_seconds, verify_seconds."""
    frames = []
    for _, cell in cells_df.iterrows():
        try:
            data = _frame(cell["path"], "steps", ("request", "tree_size", "tree_depth", "accepted",
                                                  "draft_seconds", "verify_seconds"))
        except (OSError, KeyError) as e:
            raise AnalysisError(f"{cell['path']}: unreadable steps ({e})") from None
        frame = pd.DataFrame(data)
        frame.insert(0, "step", np.arange(len(frame), dtype=np.int64))
        for i, key in enumerate(("file", "tree", "eval_set", "temperature", "seed")):
            frame.insert(i, key, cell[key])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def load_nodes(cells_df):
    """One row per verified tree node of every cell: the cell's axes plus step, node (index within the
    step), depth, rank, parent, token, accepted and parent_accepted."""
    frames = []
    for _, cell in cells_df.iterrows():
        try:
            data = _frame(cell["path"], "nodes", ("step", "depth", "rank", "parent", "token", "accepted"))
            first_node = _frame(cell["path"], "steps", ("first_node",))["first_node"]
        except (OSError, KeyError) as e:
            raise AnalysisError(f"{cell['path']}: unreadable nodes ({e})") from None
        frame = pd.DataFrame(data)
        frame["accepted"] = frame["accepted"].astype(bool)
        frame.insert(1, "node", np.arange(len(frame)) - first_node[data["step"]])
        frame["parent_accepted"] = parent_accepted(data, first_node)
        for i, key in enumerate(("file", "tree", "eval_set", "temperature", "seed")):
            frame.insert(i, key, cell[key])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def parent_accepted(nodes, first_node):
    """For every node: whether its parent is on the accepted path (False for the roots)."""
    step, parent, accepted = nodes["step"], nodes["parent"], nodes["accepted"].astype(bool)
    result = np.zeros(len(step), dtype=bool)
    child = parent >= 0
    result[child] = accepted[first_node[step[child]] + parent[child]]
    return result


def n_alpha_counts(accepted, depth, n_max):
    """Per n < n_max: (trials, successes) of the n-alpha definition (docs/HDF5_SCHEMA.md, summary/n_alpha):
    a trial is a step whose tree reaches depth n + 1 with at least n drafts accepted; a success accepts more
    than n."""
    accepted, depth = np.asarray(accepted), np.asarray(depth)
    trials, successes = [], []
    for n in range(n_max):
        tried = (depth > n) & (accepted >= n)
        trials.append(int(tried.sum()))
        successes.append(int((accepted[tried] > n).sum()))
    return trials, successes


def provenance(cells_df):
    """What the report header names: each attribute's distinct values across the cells."""
    def distinct(key):
        return sorted({str(v) for v in cells_df[key] if v is not None and v == v})
    dates = sorted(str(v) for v in cells_df["date_utc"] if v)
    return {
        "model": distinct("model_path"), "model_sha256": distinct("model_sha256"),
        "head": distinct("head_path"), "head_sha256": distinct("head_sha256"),
        "commit": distinct("git_commit"), "dirty": distinct("git_dirty"),
        "cpu": distinct("cpu_model"), "isa": distinct("kernel_isa"), "threads": distinct("threads"),
        "precision": distinct("precision"),
        "date_first": dates[0] if dates else "", "date_last": dates[-1] if dates else "",
        "load": [float(v) for k in ("load_average_start", "load_average_end") for v in cells_df[k]
                 if v is not None and v == v and v >= 0],
    }
