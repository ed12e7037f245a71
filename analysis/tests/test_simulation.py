"""analysis/simulation.py on sweeps `eaglerun simulate` writes in the test itself.

    EAGLERUN=build/release/apps/eaglerun /usr/bin/python3 -m pytest -q -p no:cacheprovider analysis/tests
"""
import os
import pathlib
import subprocess
import sys

import h5py
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "analysis" / "simulation.py"


def eaglerun():
    binary = os.environ.get("EAGLERUN", str(ROOT / "build/release/apps/eaglerun"))
    if not pathlib.Path(binary).is_file():
        pytest.fail(f"no eaglerun binary at {binary} (set EAGLERUN)")
    return binary


def simulate(out, *args):
    run = subprocess.run([eaglerun(), "simulate", "--model", "data/model-configs/llama2-70b-chat.json",
                          "--tau", "3.81", "--out", str(out), *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    return out


def analyse(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    base = tmp_path_factory.mktemp("sweeps")
    gpus = simulate(base / "gpus.h5", "--hardware", "data/hardware/a100-sxm4-80gb.json", "--tp", "1,2,4,8")
    batch = simulate(base / "batch.h5", "--hardware", "data/hardware/h200-sxm-141gb.json", "--batch", "1,2,4,8,16")
    trees = simulate(base / "trees.h5", "--hardware", "data/hardware/h200-sxm-141gb.json", "--tree", "chain:1",
                     "--tree", "chain:3", "--tree", "eagle1", "--runtime",
                     "data/runtimes/hf-eager.json,data/runtimes/compiled.json")
    return base, gpus, batch, trees


def test_sweep_file_follows_the_schema(sweeps):
    _, gpus, _, _ = sweeps
    with h5py.File(gpus, "r") as f:
        assert f.attrs["schema"] in ("eaglerun.simulation", b"eaglerun.simulation")
        assert int(f.attrs["schema_version"]) == 1
        assert list(f["tp"][:]) == [1, 2, 4, 8]
        errors = [e.decode() if isinstance(e, bytes) else e for e in f["error"][:]]
        assert "does not fit" in errors[0] and errors[1:] == ["", "", ""]
        assert all(s > 1 for s in f["speedup"][1:])
        assert [r.decode() if isinstance(r, bytes) else r for r in f["runtime"][:]] == ["default"] * 4


def test_figures_for_each_axis(sweeps, tmp_path):
    base, gpus, batch, trees = sweeps
    run = analyse(gpus, batch, trees, "--out", tmp_path)
    assert run.returncode == 0, run.stderr
    for name in ("speedup_vs_gpus.png", "speedup_vs_batch.png", "speedup_vs_tree_size.png", "simulation.csv"):
        assert (tmp_path / name).stat().st_size > 0, name
    md = (tmp_path / "simulation.md").read_text()
    assert "Points that did not run" in md and "does not fit" in md


def test_one_axis_draws_one_figure(sweeps, tmp_path):
    _, _, batch, _ = sweeps
    assert analyse(batch, "--out", tmp_path).returncode == 0
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["speedup_vs_batch.png"]


def test_other_files_are_one_error_line(tmp_path):
    cell = ROOT / "docs/results/cells/n-alpha-smollm2/cell-0000-chain_5-mt_bench-T0-s0.h5"
    run = analyse(cell, "--out", tmp_path)
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0 and "not a simulation sweep" in run.stderr
    run = analyse(ROOT / "README.md", "--out", tmp_path)
    assert run.returncode == 1 and "cannot read as HDF5" in run.stderr
