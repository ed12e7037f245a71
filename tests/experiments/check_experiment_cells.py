"""Reads every cell of an experiment folder with h5py and checks the invariants of schema
eaglerun.experiment v1 (docs/HDF5_SCHEMA.md). Exit status 1 with one line per broken invariant.

    /usr/bin/python3 tests/experiments/check_experiment_cells.py DIR [--expect-cells N]
"""
import json
import pathlib
import sys

import h5py
import numpy as np

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def ragged(group, name, i):
    offsets = group[name + "_offsets"][...]
    return group[name + "_tokens"][offsets[i]:offsets[i + 1]]


def check_cell(path):
    with h5py.File(path, "r") as f:
        name = path.name
        check(text(f.attrs["schema"]) == "eaglerun.experiment" and f.attrs["schema_version"] == 1, f"{name}: schema")
        for attr in ("config", "git_commit", "model_sha256", "cpu_model", "kernel_isa", "date_utc", "precision"):
            check(attr in f.attrs and len(text(f.attrs[attr])) > 0, f"{name}: attribute {attr} missing")
        config = json.loads(text(f.attrs["config"]))
        if config["kind"] == "feature_error":
            return check_feature_error(f, name, config)
        req, steps, nodes, summary = f["requests"], f["steps"], f["nodes"], f["summary"]
        n_req = len(req["turn"])
        first_step = req["first_step"][...]
        accepted = steps["accepted"][...]
        depth = steps["tree_depth"][...]
        size = steps["tree_size"][...]
        first_node = steps["first_node"][...]
        check(len(first_step) == n_req + 1 and first_step[-1] == len(accepted), f"{name}: request step offsets")
        check(len(first_node) == len(accepted) + 1 and first_node[-1] == len(nodes["step"]), f"{name}: step node offsets")
        for i in range(n_req):
            plain, eagle = ragged(req, "plain", i), ragged(req, "eagle", i)
            check(bool(req["identical"][i]) == np.array_equal(plain, eagle), f"{name}: identical flag of request {i}")
            if config["temperatures"] == 0:
                check(np.array_equal(plain, eagle), f"{name}: greedy request {i} differs from plain decoding")
            a = accepted[first_step[i]:first_step[i + 1]]
            # The prefill gives the first token; each step gives accepted + 1, the last one cut by
            # the token limit or a stop token.
            emitted = len(eagle) - 1
            check(len(a) == req["eagle_target_forwards"][i], f"{name}: request {i}: steps vs target forwards")
            if len(a):
                check(np.sum(a[:-1] + 1) < emitted <= np.sum(a + 1), f"{name}: request {i}: accepted tokens vs output")
                check(abs(req["tau"][i] - np.mean(a + 1)) < 1e-9, f"{name}: request {i}: tau")
        # Per-node records reproduce the per-step ones.
        n_step = nodes["step"][...]
        n_depth, n_parent, n_rank, n_acc = (nodes[k][...] for k in ("depth", "parent", "rank", "accepted"))
        recomputed_accepted, recomputed_depth = np.zeros_like(accepted), np.zeros_like(depth)
        n_copied = nodes["copied"][...] if "copied" in nodes else None
        copied_total = 0
        for s in range(len(accepted)):
            lo, hi = first_node[s], first_node[s + 1]
            check(hi - lo == size[s] and np.all(n_step[lo:hi] == s), f"{name}: step {s} node count")
            acc = n_acc[lo:hi].astype(bool)
            par = n_parent[lo:hi]
            check(acc[0] and par[0] == -1, f"{name}: step {s}: the root is accepted")
            for j in np.nonzero(acc)[0][1:]:
                check(acc[par[j]], f"{name}: step {s}: accepted node {j} has a rejected parent")
            for j in range(1, hi - lo):
                siblings = [k for k in range(1, hi - lo) if par[k] == par[j]]
                check(n_rank[lo + j] == siblings.index(j), f"{name}: step {s}: rank of node {j}")
            if n_copied is not None:  # copies from the context: one chain, each node its parent's last child
                cop = n_copied[lo:hi].astype(bool)
                check(not cop[0], f"{name}: step {s}: the root is not a copy")
                for j in np.nonzero(cop)[0]:
                    later = [k for k in range(j + 1, hi - lo) if par[k] == par[j]]
                    check(not later, f"{name}: step {s}: copied node {j} is not its parent's last child")
                    check(sum(1 for k in np.nonzero(cop)[0] if par[k] == par[j]) == 1,
                          f"{name}: step {s}: two copied children of one node")
                copied_total += int(cop.sum())
            recomputed_accepted[s] = acc.sum() - 1
            recomputed_depth[s] = n_depth[lo:hi].max()
        check(np.array_equal(recomputed_accepted, accepted), f"{name}: accepted lengths vs accepted nodes")
        check(np.array_equal(recomputed_depth, depth), f"{name}: tree depths vs node depths")
        if "+lookup:" not in str(config.get("trees", "")):
            check(copied_total == 0, f"{name}: copied nodes without +lookup")
        # Summary datasets, recomputed.
        check(abs(summary["tau"][0] - (np.mean(accepted + 1) if len(accepted) else 0)) < 1e-9, f"{name}: summary tau")
        alpha = []
        for n in range(int(depth.max()) if len(depth) else 0):
            tried = (recomputed_depth > n) & (recomputed_accepted >= n)
            alpha.append(np.mean(recomputed_accepted[tried] > n) if tried.any() else 0.0)
        check(np.allclose(summary["n_alpha"][...], alpha), f"{name}: n_alpha from the node records")
        check(abs(summary["identical_fraction"][0] - np.mean(req["identical"][...])) < 1e-9, f"{name}: identical fraction")
        return config


def check_feature_error(f, name, config):
    """feature_error cells: rollouts of depth 0..D from starts inside each request's continuation."""
    fe, summary, req = f["feature_error"], f["summary"], f["requests"]
    depth, start, request = fe["depth"][...], fe["start"][...], fe["request"][...]
    rel_l2, cosine, top1 = fe["rel_l2"][...], fe["cosine"][...], fe["top1"][...]
    D = int(config["trees"].split(":")[1])
    check(len(depth) > 0 and set(np.unique(depth)) == set(range(D + 1)), f"{name}: depths 0..{D}")
    check(np.all(rel_l2 >= 0) and np.all(np.abs(cosine) <= 1 + 1e-9), f"{name}: error ranges")
    prompt_offsets, plain_offsets = req["prompt_offsets"][...], req["plain_offsets"][...]
    for r in np.unique(request):
        L = prompt_offsets[r + 1] - prompt_offsets[r]
        T = L + plain_offsets[r + 1] - plain_offsets[r]
        s = start[request == r]
        check(np.all(s >= L) and np.all(s + D + 1 < T), f"{name}: request {r}: starts outside the continuation")
    for key, values in (("rel_l2", rel_l2), ("cosine", cosine), ("top1", top1)):
        means = [values[depth == d].mean() for d in range(D + 1)]
        check(np.allclose(summary["feature_error_" + key][...], means), f"{name}: summary feature_error_{key}")
    return config


def main():
    folder = pathlib.Path(sys.argv[1])
    expect = int(sys.argv[sys.argv.index("--expect-cells") + 1]) if "--expect-cells" in sys.argv else None
    cells = sorted(folder.glob("cell-*.h5"))
    check(not list(folder.glob("*.partial")), f"{folder}: a .partial file was left behind")
    if expect is not None:
        check(len(cells) == expect, f"{folder}: {len(cells)} cells, expected {expect}")
    for path in cells:
        check_cell(path)
    for line in failures:
        print("FAIL:", line)
    print(f"{len(cells)} cells checked, {len(failures)} broken invariants")
    sys.exit(1 if failures else 0)


main()
