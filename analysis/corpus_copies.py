"""How often copies from a datastore of the target's own answers would be right (retrieval drafting, as
REST does), on answers the target wrote (no decoding): the counterpart of context_copies.py for text
outside the context.

The datastore holds every n-gram (n = 1..--max-match) of the corpus's answers with the token after it.
At an answer position the draft is built token by token: the longest suffix of the context (the
answer so far and the drafts before) that the datastore holds, then the token that most often
followed it there; --k such tokens. Counted: how many of them match the answer in a row, by the
length of the first suffix matched.

    /usr/bin/python3 analysis/corpus_copies.py EVAL_FEATURES --corpus DIR [DIR ...] [--k 8] [--max-match 8]

EVAL_FEATURES and each DIR: feature stores of `eaglerun extract` (shard-*.h5 with tokens, loss_mask,
offsets), searched recursively; e.g. EVAL_FEATURES = runs/score-head/mt_bench-128-80/features (the
target's greedy MT-bench answers) and the corpus the regenerated ShareGPT parts' stores
(scripts/train_regenerated_head.sh writes them under OUT/features/part-NNNN).
"""
import argparse
import glob
import os
import sys

import h5py
import numpy as np

MASK64 = (1 << 64) - 1
PRIME = 1000003


def sequences(folder):
    """(tokens, loss_mask) of every sequence of every shard under folder."""
    shards = sorted(glob.glob(os.path.join(folder, "**", "shard-*.h5"), recursive=True))
    for path in shards:
        with h5py.File(path) as f:
            tokens, mask, offsets = f["tokens"][...].astype(np.int64), f["loss_mask"][...], f["offsets"][...]
        for s in range(len(offsets) - 1):
            yield tokens[offsets[s]:offsets[s + 1]], mask[offsets[s]:offsets[s + 1]]


def ngram_hash(tokens):
    """The hash of a token run, as the vectorised one in build_tables computes it (mod 2^64)."""
    h = 0
    for t in tokens:
        h = (h * PRIME + int(t) + 1) & MASK64
    return h


class Datastore:
    """For n = 1..max_match: sorted n-gram hashes, the token that most often followed each (the lower
    id on equal counts) and how often."""

    def __init__(self, corpus, max_match):
        self.max_match = max_match
        grams = [([], []) for _ in range(max_match)]
        self.answer_tokens = 0
        for tokens, mask in corpus:
            self.answer_tokens += int(mask.sum())
            for n in range(1, max_match + 1):
                ends = np.arange(n - 1, len(tokens) - 1)
                ends = ends[mask[ends + 1] > 0]  # n-grams followed by an answer token
                h = np.zeros(len(ends), dtype=np.uint64)
                for j in range(n):
                    h = h * np.uint64(PRIME) + (tokens[ends - n + 1 + j] + 1).astype(np.uint64)
                grams[n - 1][0].append(h)
                grams[n - 1][1].append(tokens[ends + 1])
        self.tables = []
        for hashes, nexts in grams:
            h = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
            nx = np.concatenate(nexts) if nexts else np.zeros(0, np.int64)
            order = np.lexsort((nx, h))
            h, nx = h[order], nx[order]
            pair_start = np.flatnonzero(np.r_[True, (h[1:] != h[:-1]) | (nx[1:] != nx[:-1])]) if len(h) else h
            counts = np.diff(np.r_[pair_start, len(h)]).astype(np.int64)
            ph, pn = h[pair_start], nx[pair_start]
            group = np.cumsum(np.r_[True, ph[1:] != ph[:-1]]) - 1 if len(ph) else ph
            best = np.lexsort((pn, -counts, group))  # per hash: the highest count, then the lower token
            first = best[np.r_[True, group[best][1:] != group[best][:-1]]] if len(best) else best
            self.tables.append((ph[first], pn[first], counts[first]))

    def next_token(self, context):
        """(n of the longest suffix held, the token that most often followed it) or (0, None)."""
        for n in range(min(self.max_match, len(context)), 0, -1):
            keys, nexts, _ = self.tables[n - 1]
            h = np.uint64(ngram_hash(context[-n:]))
            i = np.searchsorted(keys, h)
            if i < len(keys) and keys[i] == h:
                return n, int(nexts[i])
        return 0, None

    def draft(self, context, k):
        """(n of the first suffix matched, up to k drafted tokens)."""
        context, out, first = list(context), [], 0
        for i in range(k):
            n, token = self.next_token(context)
            if i == 0:
                first = n
            if token is None:
                break
            out.append(token)
            context.append(token)
        return first, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("features")
    ap.add_argument("--corpus", nargs="+", required=True)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--max-match", type=int, default=8)
    args = ap.parse_args()
    for folder in [args.features] + args.corpus:
        if not glob.glob(os.path.join(folder, "**", "shard-*.h5"), recursive=True):
            sys.exit(f"corpus_copies: error: no shard-*.h5 under {folder}")
    store = Datastore((s for folder in args.corpus for s in sequences(folder)), args.max_match)
    right = {}  # first suffix length -> counts of 0..k drafted tokens right in a row
    positions = 0
    for tokens, mask in sequences(args.features):
        seq = tokens.tolist()
        for end in range(len(seq) - 1):
            if not mask[end + 1]:
                continue
            positions += 1
            n, drafted = store.draft(seq[:end + 1], args.k)
            r = 0
            while r < len(drafted) and end + 1 + r < len(seq) and drafted[r] == seq[end + 1 + r]:
                r += 1
            right.setdefault(n, np.zeros(args.k + 1, dtype=np.int64))[r] += 1
    every = sum(right.values())
    print(f"{positions} answer positions; datastore of {store.answer_tokens} answer tokens, n-grams up to "
          f"{args.max_match}; drafts of up to {args.k} tokens")
    print(f"all positions: P(first drafted token right) {every[1:].sum() / positions:.3f}, "
          f"mean right {(every * np.arange(args.k + 1)).sum() / positions:.3f}")
    print("suffix matched | share of positions | P(first drafted token right) | mean right")
    for n in sorted(right):
        h = right[n]
        total = h.sum()
        print(f"{n if n else 'none':>14} | {total / positions:18.3f} | {h[1:].sum() / total:28.3f} | "
              f"{(h * np.arange(args.k + 1)).sum() / total:10.2f}")


if __name__ == "__main__":
    main()
