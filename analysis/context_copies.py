"""How often a copy from the context would be right, on answers the target wrote (no decoding).

For every answer token of a feature store (`eaglerun extract` shards: `tokens`, `loss_mask`, `offsets`),
finds what `--tree ...+lookup:K` would copy there (core/eagle/context_lookup.h: the tokens that followed
the latest earlier occurrence of the longest suffix of the context, up to 6 tokens) and counts how many
of the K copied tokens match the answer, by the length of the suffix matched.

    /usr/bin/python3 analysis/context_copies.py FEATURES_DIR [--k 8]

e.g. FEATURES_DIR = runs/score-head/mt_bench-128-80/features (scripts/score_head.sh: the target's greedy
128-token answers to the 80 MT-bench questions).
"""
import argparse
import glob
import os
import sys

import h5py
import numpy as np

MAX_MATCH = 6  # ContextLookup::kMaxMatch


def copy_at(tokens, end, k):
    """(suffix length matched, up to k tokens copied) for a context tokens[:end + 1]."""
    for length in range(min(MAX_MATCH, end), 0, -1):
        suffix = tokens[end - length + 1:end + 1]
        for j in range(end - 1, length - 2, -1):  # the latest earlier occurrence with a token after it
            if tokens[j - length + 1:j + 1] == suffix:
                return length, tokens[j + 1:j + 1 + k]
    return 0, []


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("features")
    ap.add_argument("--k", type=int, default=8)
    args = ap.parse_args()
    shards = sorted(glob.glob(os.path.join(args.features, "shard-*.h5")))
    if not shards:
        sys.exit(f"context_copies: error: no shard-*.h5 in {args.features}")
    accepted = {}  # suffix length -> counts of copies accepted for 0..k tokens
    positions = 0
    for path in shards:
        with h5py.File(path) as f:
            tokens, mask, offsets = f["tokens"][...], f["loss_mask"][...], f["offsets"][...]
        for s in range(len(offsets) - 1):
            seq = tokens[offsets[s]:offsets[s + 1]].tolist()
            answer = mask[offsets[s]:offsets[s + 1]]
            for end in range(len(seq) - 1):
                if not answer[end + 1]:
                    continue
                positions += 1
                length, copy = copy_at(seq, end, args.k)
                n = 0
                while n < len(copy) and end + 1 + n < len(seq) and copy[n] == seq[end + 1 + n]:
                    n += 1
                accepted.setdefault(length, np.zeros(args.k + 1, dtype=np.int64))[n] += 1
    print(f"{positions} answer positions in {len(shards)} shards; copies of up to {args.k} tokens")
    print("suffix matched | share of positions | P(first copied token right) | mean right | P(all right)")
    for length in sorted(accepted):
        h = accepted[length]
        total = h.sum()
        mean = (h * np.arange(args.k + 1)).sum() / total
        print(f"{length if length else 'none':>14} | {total / positions:18.3f} | {h[1:].sum() / total:27.2f} | "
              f"{mean:10.2f} | {h[args.k] / total:12.2f}")


if __name__ == "__main__":
    main()
