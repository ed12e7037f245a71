#!/usr/bin/env python3
"""ShareGPT -> conversation JSONL for feature extraction (eaglerun extract --data).

Reads data/sharegpt/downloads/ShareGPT_V3_unfiltered_cleaned_split.json (fetch.sh), normalizes every
conversation (normalize.py), drops duplicates and conversations overlapping the eval sets (overlap.py),
splits train/validation by id (split.py) and writes, into data/sharegpt/prepared/ (git-ignored):
  sharegpt.jsonl     every kept conversation, in file order: {"id", "turns": [{"role", "content"}]}
  train.jsonl        the train part of sharegpt.jsonl
  validation.jsonl   the validation part (the C++ reader applies the same rule to extracted shards)
  overlap.jsonl      the dropped overlapping conversations and which eval prompt each matched
  report.json        counts of every step
Standard library only; deterministic."""
import argparse
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from normalize import normalize  # noqa: E402
from overlap import OverlapIndex, load_eval_prompts  # noqa: E402
from sharegpt_io import read_json_array_prefix, write_jsonl  # noqa: E402
from split import DEFAULT_VALIDATION_PERMILLE, is_validation  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--input", default=os.path.join(HERE, "downloads", "ShareGPT_V3_unfiltered_cleaned_split.json"))
    p.add_argument("--eval-dir", default=os.path.join(ROOT, "data", "eval"))
    p.add_argument("--out", default=os.path.join(HERE, "prepared"))
    p.add_argument("--validation-permille", type=int, default=DEFAULT_VALIDATION_PERMILLE)
    return p.parse_args(argv)


def raw_stats(elements):
    roles = collections.Counter(t.get("from") for e in elements for t in e.get("conversations", []))
    return {"elements": len(elements), "unique_ids": len({e.get("id") for e in elements}),
            "turns_by_source_role": dict(roles.most_common())}


def normalize_all(elements):
    """Kept records (first of each id) and drop counts by reason."""
    kept, dropped, seen = [], collections.Counter(), set()
    for e in elements:
        record, reason = normalize(e)
        if record is None:
            dropped[reason] += 1
        elif record["id"] in seen:
            dropped["duplicate_id"] += 1
        else:
            seen.add(record["id"])
            kept.append(record)
    return kept, dropped


def remove_overlap(records, index):
    kept, overlapping = [], []
    for r in records:
        m = index.match_conversation(r)
        if m is None:
            kept.append(r)
        else:
            overlapping.append(dict(id=r["id"], **m))
    return kept, overlapping


def main(argv):
    args = parse_args(argv)
    if not os.path.exists(args.input):
        sys.exit(f"prepare: {args.input} not found; run data/sharegpt/fetch.sh first")
    elements, file_info = read_json_array_prefix(args.input)
    records, dropped = normalize_all(elements)
    index = load_eval_prompts(args.eval_dir)
    kept, overlapping = remove_overlap(records, OverlapIndex(index))
    train = [r for r in kept if not is_validation(r["id"], args.validation_permille)]
    validation = [r for r in kept if is_validation(r["id"], args.validation_permille)]

    os.makedirs(args.out, exist_ok=True)
    write_jsonl(os.path.join(args.out, "sharegpt.jsonl"), kept)
    write_jsonl(os.path.join(args.out, "train.jsonl"), train)
    write_jsonl(os.path.join(args.out, "validation.jsonl"), validation)
    write_jsonl(os.path.join(args.out, "overlap.jsonl"), overlapping)
    report = {
        "input": os.path.relpath(args.input, ROOT), "file": file_info, "raw": raw_stats(elements),
        "dropped_by_reason": dict(dropped), "normalized": len(records),
        "eval_prompts": len(index),
        "overlap": {"dropped": len(overlapping),
                    "by_kind": dict(collections.Counter(o["kind"] for o in overlapping)),
                    "by_eval_set": dict(collections.Counter(o["eval_set"] for o in overlapping))},
        "kept": len(kept), "train": len(train), "validation": len(validation),
        "kept_turns": sum(len(r["turns"]) for r in kept),
        "kept_assistant_chars": sum(len(t["content"]) for r in kept for t in r["turns"] if t["role"] == "assistant"),
    }
    with open(os.path.join(args.out, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
