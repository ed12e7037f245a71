"""analysis/ on cells the runner writes itself: a tiny speedup experiment (2 trees x 2 eval sets x 2
temperatures, one question, 12 tokens) made once per session with `eaglerun experiment run`.

    EAGLERUN=build/release/apps/eaglerun /usr/bin/python3 -m pytest -q -p no:cacheprovider analysis/tests
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ANALYSIS = ROOT / "analysis"
sys.path.insert(0, str(ANALYSIS))

import cells  # noqa: E402

CONFIG = {"kind": "speedup", "draft": "default", "draft_vocab": 2048, "trees": ["chain:2", "eagle1"],
          "eval_sets": ["mt_bench", "gsm8k"], "temperatures": [0.0, 1.0], "max_new_tokens": 12,
          "prompt_limit": 1}
COMMANDS = ("speedup_table", "n_alpha", "position_acceptance", "step_costs", "report")


def run_experiment(tmp_path_factory, name, config, cells):
    """Runs `eaglerun experiment run` on `config`; returns its results folder, which must hold `cells` cells."""
    binary = os.environ.get("EAGLERUN", str(ROOT / "build/release/apps/eaglerun"))
    if not pathlib.Path(binary).is_file():
        pytest.fail(f"no eaglerun binary at {binary} (set EAGLERUN)")
    base = tmp_path_factory.mktemp(name)
    path = base / f"{name}.json"
    path.write_text(json.dumps(config))
    out = base / "cells"
    run = subprocess.run([binary, "experiment", "run", str(path), "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert len(list(out.glob("cell-*.h5"))) == cells
    return out


@pytest.fixture(scope="session")
def results(tmp_path_factory):
    return run_experiment(tmp_path_factory, "experiment", CONFIG, 8)


def tool(name, *args):
    return subprocess.run([sys.executable, str(ANALYSIS / f"{name}.py"), *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def summaries(folder):
    """(tree, eval_set, temperature) -> summary datasets and steps, read straight from the files."""
    out = {}
    for path in sorted(folder.glob("cell-*.h5")):
        with h5py.File(path, "r") as f:
            config = json.loads(f.attrs["config"])
            out[(config["trees"], config["eval_sets"], float(config["temperatures"]))] = {
                **{k: f["summary"][k][...] for k in f["summary"]},
                "accepted": f["steps"]["accepted"][...], "depth": f["steps"]["tree_depth"][...],
                "attrs": {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()},
                "nodes": {k: f["nodes"][k][...] for k in f["nodes"]}, "first_node": f["steps"]["first_node"][...]}
    return out


@pytest.fixture(scope="session")
def report_dir(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    run = tool("report", results, "--out", out)
    assert run.returncode == 0, run.stderr
    return out


def test_cell_table_equals_the_files(results):
    df = cells.load(results)
    truth = summaries(results)
    assert len(df) == 8
    assert list(df["tree"].unique()) == ["chain:2", "eagle1"]
    assert list(df["eval_set"].unique()) == ["mt_bench", "gsm8k"]
    assert sorted(df["temperature"].unique()) == [0.0, 1.0]
    for _, row in df.iterrows():
        s = truth[(row["tree"], row["eval_set"], row["temperature"])]
        assert row["file"].startswith("cell-")
        for key in ("tau", "speedup", "plain_tokens_per_second", "eagle_tokens_per_second", "identical_fraction"):
            assert row[key] == s[key][0], key
        assert row["n_alpha"] == list(s["n_alpha"])
        for attr in ("git_commit", "model_sha256", "head_sha256", "cpu_model", "date_utc", "model_path"):
            assert row[attr] == s["attrs"][attr], attr
        assert row["steps"] == len(s["accepted"])
    steps = cells.load_steps(df)
    assert len(steps) == df["steps"].sum()
    assert steps.groupby(["tree", "eval_set", "temperature"])["accepted"].sum().to_dict() == \
        {k: int(v["accepted"].sum()) for k, v in truth.items()}
    nodes = cells.load_nodes(df)
    assert len(nodes) == df["nodes"].sum()
    assert (nodes.loc[nodes["depth"] == 0, "node"] == 0).all() and nodes.loc[nodes["depth"] == 0, "accepted"].all()


def test_speedup_table(results, tmp_path):
    run = tool("speedup_table", results, "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    wide = pd.read_csv(tmp_path / "speedup_table.csv")
    assert list(wide["eval_set"]) == ["MT-bench", "GSM8K"]
    variants = ["chain:2 T=0", "chain:2 T=1", "eagle1 T=0", "eagle1 T=1"]
    assert list(wide.columns) == ["eval_set"] + [f"{v} {x}" for v in variants for x in ("speedup", "tau")]
    truth = summaries(results)
    md = (tmp_path / "speedup_table.md").read_text()
    assert md.splitlines()[0] == "| eval set | " + " | ".join(variants) + " |"
    for i, eval_set in enumerate(("mt_bench", "gsm8k")):
        for tree in ("chain:2", "eagle1"):
            for t in (0.0, 1.0):
                s = truth[(tree, eval_set, t)]
                assert wide.loc[i, f"{tree} T={t:g} speedup"] == pytest.approx(s["speedup"][0], abs=1e-12)
                assert wide.loc[i, f"{tree} T={t:g} tau"] == pytest.approx(s["tau"][0], abs=1e-12)
                assert f"{s['speedup'][0]:.2f}x / {s['tau'][0]:.2f}" in md.splitlines()[2 + i]
    assert (tmp_path / "speedup.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    paper = (tmp_path / "speedup_paper.md").read_text()
    assert "2.90x / 3.94" in paper and "3.01x / 4.00" in paper and "Table 1" in paper


def test_n_alpha(results, tmp_path):
    run = tool("n_alpha", results, "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    truth = summaries(results)
    per_cell = pd.read_csv(tmp_path / "n_alpha_cells.csv")
    assert len(per_cell) == 8
    for _, r in per_cell.iterrows():
        s = truth[(r["tree"], r["eval_set"], r["temperature"])]
        for n, value in enumerate(s["n_alpha"][:5]):
            assert r[f"{n}-alpha"] == pytest.approx(value, abs=1e-12)
    pooled = pd.read_csv(tmp_path / "n_alpha.csv")
    assert list(pooled["variant"]) == ["chain:2 T=0", "chain:2 T=1", "eagle1 T=0", "eagle1 T=1"]
    for _, r in pooled.iterrows():
        acc = np.concatenate([v["accepted"] for k, v in truth.items() if (k[0], k[2]) == (r["tree"], r["temperature"])])
        dep = np.concatenate([v["depth"] for k, v in truth.items() if (k[0], k[2]) == (r["tree"], r["temperature"])])
        for n in range(5):
            tried = [a > n for a, d in zip(acc, dep) if d > n and a >= n]
            assert r[f"{n}-trials"] == len(tried)
            if tried:
                assert r[f"{n}-alpha"] == pytest.approx(sum(tried) / len(tried))
            else:
                assert np.isnan(r[f"{n}-alpha"])
    assert (tmp_path / "n_alpha.png").stat().st_size > 1000


def test_step_costs(results, tmp_path):
    run = tool("step_costs", results, "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(tmp_path / "step_costs.csv")
    assert len(table) > 0 and (table["steps"] >= 5).all()
    for _, r in table.iterrows():
        times = []
        for path in pathlib.Path(results).glob("cell-*.h5"):
            with h5py.File(path, "r") as f:
                if json.loads(f.attrs["config"])["trees"] != r["tree"]:
                    continue
                size, verify = f["steps"]["tree_size"][...], f["steps"]["verify_seconds"][...]
                times += list(verify[size == r["tree_size"]])
        assert r["steps"] == len(times)
        assert r["median_ms"] == pytest.approx(1e3 * np.median(times))
        assert r["min_ms"] == pytest.approx(1e3 * min(times))


def test_n_alpha_mismatch_is_an_error(results, tmp_path):
    folder = tmp_path / "cells"
    shutil.copytree(results, folder)
    path = sorted(folder.glob("cell-*eagle1*.h5"))[0]
    with h5py.File(path, "a") as f:
        f["summary"]["n_alpha"][0] += 0.01
    run = tool("n_alpha", folder, "--out", tmp_path / "out")
    assert run.returncode == 1
    assert run.stderr.count("analysis: error:") == 1 and path.name in run.stderr and "recomputed" in run.stderr


def test_position_acceptance(results, tmp_path):
    run = tool("position_acceptance", results, "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    pos = pd.read_csv(tmp_path / "position_acceptance.csv")
    truth = summaries(results)
    # Counted node by node here (a loop over parents), against the tool's vectorised count.
    for (tree, t), g in pos.groupby(["tree", "temperature"]):
        counts = {}
        for key, v in truth.items():
            if (key[0], key[2]) != (tree, t):
                continue
            nodes, first = v["nodes"], v["first_node"]
            for s in range(len(first) - 1):
                lo, hi = first[s], first[s + 1]
                for j in range(lo + 1, hi):
                    parent = lo + nodes["parent"][j]
                    if nodes["accepted"][parent]:
                        c = counts.setdefault((int(nodes["depth"][parent]), int(nodes["rank"][j])), [0, 0])
                        c[0] += 1
                        c[1] += int(nodes["accepted"][j])
        assert {(int(r["depth"]), int(r["rank"])): [int(r["trials"]), int(r["accepted"])]
                for _, r in g.iterrows()} == counts
    chain = pos[pos["tree"] == "chain:2"]
    assert set(chain["rank"]) == {0} and set(chain["depth"]) <= {0, 1}
    eagle = pos[(pos["tree"] == "eagle1") & (pos["depth"] == 0)]
    assert set(eagle["rank"]) <= {0, 1, 2, 3}
    md = (tmp_path / "position_acceptance.md").read_text()
    assert "**chain:2 T=0**" in md and "| parent depth d | rank 0 | rank 1 | rank 2 | rank 3 |" in md
    assert (tmp_path / "position_acceptance.png").stat().st_size > 1000


def test_report(results, report_dir):
    report = (report_dir / "REPORT.md").read_text()
    attrs = summaries(results)[("eagle1", "mt_bench", 0.0)]["attrs"]
    for value in (attrs["model_path"], attrs["head_path"], attrs["git_commit"], attrs["cpu_model"],
                  attrs["date_utc"][:10]):
        assert value in report, value
    for table in ("speedup_table.md", "speedup_paper.md", "n_alpha.md", "n_alpha_paper.md",
                  "position_acceptance.md"):
        assert (report_dir / table).read_text() in report, table
    for png in ("speedup.png", "n_alpha.png", "position_acceptance.png"):
        assert f"]({png})" in report
        assert (report_dir / png).read_bytes()[:4] == b"\x89PNG"
    assert "arXiv 2401.15077" in report and "differ from these experiments" in report
    assert (report_dir / "cells.csv").is_file()


def test_default_out_is_inside_the_results(results, tmp_path):
    folder = tmp_path / "cells"
    shutil.copytree(results, folder)
    run = tool("speedup_table", folder)
    assert run.returncode == 0, run.stderr
    assert (folder / "analysis" / "speedup_table.md").is_file()


def test_paper_numbers_cite_a_table():
    doc = json.loads((ANALYSIS / "paper_numbers.json").read_text())
    entries = (doc["speedup_tau"]["entries"] + doc["n_alpha"]["entries"] + doc["draft_inputs"]["entries"] +
               doc["quantised_target"]["entries"])
    assert entries
    for e in entries:
        assert "2401.15077" in e["citation"] and ("Table" in e["citation"] or "Fig." in e["citation"]), e


def make_foreign(folder):
    with h5py.File(folder / "cell-0099-foreign.h5", "w") as f:
        f.attrs["schema"] = "someone.else"
        f["data"] = np.arange(3)
    return "cell-0099-foreign.h5"


def make_text(folder):
    (folder / "cell-0099-text.h5").write_text("not hdf5\n")
    return "cell-0099-text.h5"


def make_version(folder):
    path = sorted(folder.glob("cell-*.h5"))[0]
    with h5py.File(path, "a") as f:
        f.attrs["schema_version"] = 2
    return path.name


def make_missing(folder):
    path = sorted(folder.glob("cell-*.h5"))[-1]
    with h5py.File(path, "a") as f:
        del f["steps"]["first_node"]
    return path.name


def make_truncated(folder):
    path = sorted(folder.glob("cell-*.h5"))[1]
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])
    return path.name


@pytest.mark.parametrize("breaker, says", [
    (make_foreign, "schema 'someone.else', expected 'eaglerun.experiment'"), (make_text, "not an HDF5 file"),
    (make_version, "schema_version 2 is not supported"), (make_missing, "missing steps/first_node"),
    (make_truncated, "unreadable experiment cell")])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_file_is_one_error_line(results, tmp_path, breaker, says, command):
    folder = tmp_path / "cells"
    shutil.copytree(results, folder)
    name = breaker(folder)
    run = tool(command, folder, "--out", tmp_path / "out")
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"analysis: error: {folder / name}: ") and says in lines[0], \
        run.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_an_empty_folder_is_an_error(tmp_path, command):
    run = tool(command, tmp_path)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [f"analysis: error: {tmp_path}: no experiment cells (cell-*.h5) in "
                                               "this folder"]


def test_unfinished_cells_are_reported(results, tmp_path):
    folder = tmp_path / "cells"
    shutil.copytree(results, folder)
    (folder / "cell-0100-chain_2-alpaca-T0-s0.h5.partial").write_bytes(b"")
    run = tool("speedup_table", folder, "--out", tmp_path / "out")
    assert run.returncode == 0
    assert "analysis: warning:" in run.stderr and "cell-0100-chain_2-alpaca-T0-s0.h5.partial" in run.stderr


def test_report_of_several_folders(results, report_dir, tmp_path):
    """Several folders: one report each in OUT/<folder name>/, the same as each folder's own report."""
    second = tmp_path / "second"
    shutil.copytree(results, second)
    run = tool("report", results, second, "--out", tmp_path / "all")
    assert run.returncode == 0, run.stderr
    for name in (pathlib.Path(results).name, "second"):
        assert (tmp_path / "all" / name / "speedup_table.csv").read_text() == \
            (report_dir / "speedup_table.csv").read_text()
    missing_out = tool("report", results, second)
    assert missing_out.returncode == 1 and "--out is required" in missing_out.stderr


def test_feature_error_report(tmp_path):
    """A feature_error folder gets the error-by-depth table, equal to the files' summaries."""
    binary = os.environ.get("EAGLERUN", str(ROOT / "build/release/apps/eaglerun"))
    config = tmp_path / "fe.json"
    config.write_text(json.dumps({"kind": "feature_error", "draft": "default", "trees": ["chain:2"],
                                  "eval_sets": ["gsm8k"], "max_new_tokens": 24, "prompt_limit": 1}))
    out = tmp_path / "cells"
    run = subprocess.run([binary, "experiment", "run", str(config), "--out", str(out)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = tool("report", out, "--out", tmp_path / "report")
    assert report.returncode == 0, report.stderr
    table = pd.read_csv(tmp_path / "report" / "feature_error.csv")
    with h5py.File(next(out.glob("cell-*.h5")), "r") as f:
        for metric in ("rel_l2", "cosine", "top1"):
            assert np.allclose(table[metric], f["summary"]["feature_error_" + metric][...])
    assert list(table["depth"]) == [0, 1, 2]
    assert "Feature-error accumulation" in (tmp_path / "report" / "REPORT.md").read_text()


# Two models x two heads (the ablation and quantised-target kinds' axes), made by the runner.
AXES_CONFIG = {"kind": "speedup", "model": ["default", "models/SmolLM2-135M-Instruct.Q4_1.gguf"],
               "draft": ["default", "random"], "draft_vocab": 0, "trees": ["chain:3"], "eval_sets": ["mt_bench"],
               "temperatures": [0.0], "max_new_tokens": 12, "prompt_limit": 1, "max_turns": 1}


@pytest.fixture(scope="session")
def axes_results(tmp_path_factory):
    return run_experiment(tmp_path_factory, "axes", AXES_CONFIG, 4)


def per_file(folder):
    """(model label, draft label) -> the cell's summary, read straight from the file."""
    out = {}
    for path in sorted(folder.glob("cell-*.h5")):
        with h5py.File(path, "r") as f:
            config = json.loads(f.attrs["config"])
            key = (cells.path_label(config["model"]), cells.path_label(config["draft"]))
            out[key] = {k: f["summary"][k][...] for k in f["summary"]}
    return out


def test_model_and_draft_axes_become_labelled_columns(axes_results):
    df = cells.load(axes_results)
    assert df.attrs["extra_axes"] == ["draft", "model"]
    assert list(dict.fromkeys(df["model"])) == ["default", "SmolLM2-135M-Instruct.Q4_1"]
    assert list(dict.fromkeys(df["draft"])) == ["default", "random"]
    assert df["variant"].nunique() == 4


def test_draft_input_table(axes_results, tmp_path):
    run = tool("draft_inputs", axes_results, "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(tmp_path / "draft_inputs.csv")
    truth = per_file(axes_results)
    assert list(table["draft"]) == ["default", "random"]
    for _, row in table.iterrows():
        files = [v for (m, d), v in truth.items() if d == row["draft"]]
        assert row["tau"] == pytest.approx(np.mean([float(v["tau"][0]) for v in files]))
        assert row["alpha_0"] == pytest.approx(np.mean([float(v["n_alpha"][0]) for v in files]))
        assert row["speedup"] == pytest.approx(np.mean([float(v["speedup"][0]) for v in files]))
    trained, random = table.iloc[0], table.iloc[1]
    assert trained["tau"] > random["tau"]  # the shipped head beats random weights
    assert (tmp_path / "draft_inputs.png").stat().st_size > 0


def test_quantised_target_table(axes_results, tmp_path):
    run = tool("quantised_target", axes_results, "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(tmp_path / "quantised_target.csv")
    truth = per_file(axes_results)
    assert list(table["model"]) == ["default", "SmolLM2-135M-Instruct.Q4_1"]
    for _, row in table.iterrows():
        files = [v for (m, d), v in truth.items() if m == row["model"]]
        assert row["plain_tokens_per_second"] == pytest.approx(
            np.mean([float(v["plain_tokens_per_second"][0]) for v in files]))
        assert row["identical_fraction"] == 1.0


def test_report_has_the_axes_sections(axes_results, tmp_path):
    run = tool("report", axes_results, "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    report = (tmp_path / "REPORT.md").read_text()
    assert "## Draft-head ablation" in report and "## Quantised targets" in report
    assert "106.9" in report  # the paper's int4 row beside ours


@pytest.mark.parametrize("command", ["draft_inputs", "quantised_target"])
def test_one_head_or_model_is_one_error_line(results, command):
    run = tool(command, results, "--out", results / "unused")
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("analysis: error:"), run.stderr


def test_index_of_a_run(results, axes_results, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "speedup-tiny").symlink_to(results)
    (run_dir / "quantised-target-tiny").symlink_to(axes_results)
    run = subprocess.run([sys.executable, str(ANALYSIS / "index.py"), str(run_dir), "--out", str(tmp_path / "r")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    index = (tmp_path / "r" / "REPORT.md").read_text()
    assert "[speedup-tiny](speedup-tiny/REPORT.md)" in index and "Table 4: quantised targets" in index
    best_tau = cells.load(results).groupby("variant")["tau"].mean().max()
    assert f"{best_tau:.2f} (" in index
    empty = subprocess.run([sys.executable, str(ANALYSIS / "index.py"), str(tmp_path / "r"), "--out",
                            str(tmp_path / "r2")], capture_output=True, text=True, timeout=60)
    assert empty.returncode == 1 and empty.stderr.startswith("analysis: error:")


def write_train_log(folder, records):
    folder.mkdir(parents=True)
    (folder / "train_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


def test_training_validation_takes_each_runs_last_validation(tmp_path):
    def validation(step, target):
        return {"kind": "validation", "step": step, "sequences": 16, "loss": 1.0 / step,
                "accuracy_target": target, "accuracy_token": [a / 2 for a in target]}
    fixed = write_train_log(tmp_path / "fixed_sharegpt", [
        {"kind": "step", "step": 100, "epoch": 1}, validation(100, [0.3, 0.2]),
        {"kind": "step", "step": 200, "epoch": 2}, validation(200, [0.4, 0.3])])
    generated = write_train_log(tmp_path / "target_generated", [validation(200, [0.6, 0.5])])
    run = tool("training_validation", fixed, generated, "--out", tmp_path / "out")
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(tmp_path / "out" / "training_validation.csv")
    assert list(table["run"]) == ["fixed_sharegpt", "target_generated"]
    assert list(table["top1_target_d0"]) == [0.4, 0.6] and list(table["top1_token_d1"]) == [0.15, 0.25]
    assert table["epoch"].iloc[0] == 2
    assert "0.400 0.300" in run.stdout and "0.600 0.500" in run.stdout


def test_training_validation_of_a_run_without_validation_is_one_error_line(tmp_path):
    run_dir = write_train_log(tmp_path / "run", [{"kind": "step", "step": 1, "epoch": 0}])
    run = tool("training_validation", run_dir)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "no validation" in run.stderr, run.stderr
