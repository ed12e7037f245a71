"""analysis/context_copies.py on a feature shard written in the test, with counts worked out by hand.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider analysis/tests
"""
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "analysis" / "context_copies.py"


def test_copy_at_matches_the_engines_rule():
    sys.path.insert(0, str(ROOT / "analysis"))
    from context_copies import copy_at
    # As core/eagle/context_lookup.h (tests/eagle/context_lookup_test.cpp): the longest suffix at its
    # latest earlier occurrence with a token after it.
    assert copy_at([1, 2, 3, 9, 2, 3, 7, 8, 1, 2, 3], 10, 4) == (3, [9, 2, 3, 7])
    assert copy_at([5, 6, 5, 7, 5], 4, 3) == (1, [7, 5])
    assert copy_at([4, 8, 4, 8, 4], 4, 8) == (3, [8, 4])
    assert copy_at([1, 2, 3, 4], 3, 4) == (0, [])


def test_counts_by_suffix_length(tmp_path):
    # One sequence: prompt 1 2 3, answer 1 2 3 1 2 (the answer copies the prompt).
    tokens = np.array([1, 2, 3, 1, 2, 3, 1, 2], dtype=np.int32)
    with h5py.File(tmp_path / "shard-000000.h5", "w") as f:
        f["tokens"] = tokens
        f["loss_mask"] = np.array([0, 0, 0, 1, 1, 1, 1, 1], dtype=np.uint8)
        f["offsets"] = np.array([0, 8], dtype=np.int64)
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path), "--k", "2"], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("5 answer positions")
    rows = {line.split("|")[0].strip(): [float(v) for v in line.split("|")[1:]] for line in lines[2:]}
    # Position 3 (after 1 2 3): no earlier 3. Position 4 (after ..3 1): "1" at 0, copies 2 3 (right: 2).
    # Positions 5-7: suffixes 1 2 / 1 2 3 / 2 3 1 ... each copies the prompt's continuation, right.
    assert rows["none"][0] == 0.2
    assert sum(r[0] for r in rows.values()) == pytest.approx(1.0)
    assert all(r[1] == 1.0 for key, r in rows.items() if key != "none")


def test_a_folder_without_shards_is_one_error_line(tmp_path):
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0 and "error" in run.stderr
