"""analysis/corpus_copies.py on feature shards written in the test, with drafts worked out by hand.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider analysis/tests
"""
import pathlib
import subprocess
import sys

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "analysis" / "corpus_copies.py"
sys.path.insert(0, str(ROOT / "analysis"))
from corpus_copies import Datastore  # noqa: E402


def write_shard(folder, sequences):
    """sequences: (tokens, loss_mask) pairs, into one shard-000000.h5 under folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / "shard-000000.h5", "w") as f:
        f["tokens"] = np.concatenate([np.array(t, dtype=np.int32) for t, _ in sequences])
        f["loss_mask"] = np.concatenate([np.array(m, dtype=np.uint8) for _, m in sequences])
        f["offsets"] = np.cumsum([0] + [len(t) for t, _ in sequences]).astype(np.int64)


# The corpus: "1 2 3" is followed by 4 twice and by 5 once; its first token is a prompt token.
CORPUS = [([1, 2, 3, 4, 1, 2, 3, 5, 1, 2, 3, 4], [0] + [1] * 11)]


def as_arrays(sequences):
    return [(np.array(t, dtype=np.int64), np.array(m, dtype=np.uint8)) for t, m in sequences]


def test_drafts_follow_the_longest_suffix_and_the_most_frequent_next_token():
    store = Datastore(as_arrays(CORPUS), max_match=4)
    assert store.answer_tokens == 11
    # "9" is not held; after "9 1" the longest held suffix is "1": 2 follows it every time; then
    # "1 2" -> 3, "1 2 3" -> 4 (twice against 5 once), "1 2 3 4" -> 1.
    assert store.draft([9], 4) == (0, [])
    assert store.draft([9, 1], 4) == (1, [2, 3, 4, 1])
    # A 4-gram is held only where an answer token follows it: "3 4 1 2" -> 3.
    assert store.next_token([3, 4, 1, 2]) == (4, 3)
    # On equal counts the lower token: "4" is followed by 1 once (the corpus ends after the second 4).
    assert store.next_token([4]) == (1, 1)


def test_counts_over_the_eval_answers(tmp_path):
    write_shard(tmp_path / "corpus" / "part-0000", CORPUS)
    # Eval: prompt 9, answer 1 2 3 4. Positions after 9 (no suffix held: 0 right), after 9 1 (drafts
    # 2 3 4 1: 3 right before the answer ends), after 9 1 2 (3 4 1 2: 2 right), after 9 1 2 3 (4 1 2 3: 1).
    write_shard(tmp_path / "eval", [([9, 1, 2, 3, 4], [0, 1, 1, 1, 1])])
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "eval"), "--corpus", str(tmp_path / "corpus"),
                          "--k", "4", "--max-match", "4"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("4 answer positions; datastore of 11 answer tokens")
    assert "P(first drafted token right) 0.750, mean right 1.500" in lines[1]
    rows = {line.split("|")[0].strip(): [float(v) for v in line.split("|")[1:]] for line in lines[3:]}
    assert rows["none"] == [0.25, 0.0, 0.0]
    assert rows["1"] == [0.25, 1.0, 3.0]  # after "9 1": the suffix "1"
    assert rows["2"] == [0.25, 1.0, 2.0]  # after "9 1 2": "1 2"
    assert rows["3"] == [0.25, 1.0, 1.0]  # after "9 1 2 3": "1 2 3"


def test_a_folder_without_shards_is_one_error_line(tmp_path):
    (tmp_path / "eval").mkdir()
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "eval"), "--corpus", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [f"corpus_copies: error: no shard-*.h5 under {tmp_path / 'eval'}"]
