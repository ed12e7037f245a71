"""Finds ShareGPT conversations whose user turns overlap the evaluation prompts (data/eval/*/question.jsonl),
so that training data never contains a benchmark question.

Texts are compared after normalize_text (NFKC, lower case, every run of non-alphanumeric characters -> one space).
A user turn overlaps an eval prompt when
  - exact:     both normalized texts are equal (any length), or
  - substring: one normalized text contains the other and the shorter one has >= MIN_SUBSTRING_CHARS characters
               (shorter texts such as "Define the following phrase." would match unrelated requests)."""
import glob
import json
import os
import re
import unicodedata

MIN_SUBSTRING_CHARS = 40
_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def normalize_text(text):
    text = unicodedata.normalize("NFKC", text).lower()
    return _NON_ALNUM.sub(" ", text).strip()


def load_eval_prompts(eval_dir):
    """[(set name, question_id, turn index, normalized text)] for every turn of every question."""
    prompts = []
    for path in sorted(glob.glob(os.path.join(eval_dir, "*", "question.jsonl"))):
        name = os.path.basename(os.path.dirname(path))
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                q = json.loads(line)
                for k, turn in enumerate(q["turns"]):
                    prompts.append((name, q["question_id"], k, normalize_text(turn)))
    return prompts


class OverlapIndex:
    def __init__(self, prompts, min_substring_chars=MIN_SUBSTRING_CHARS):
        self.min_chars = min_substring_chars
        self.exact = {}
        for p in prompts:
            self.exact.setdefault(p[3], p)
        self.long_prompts = [p for p in prompts if len(p[3]) >= min_substring_chars]
        # All prompts in one string, to test "user turn inside an eval prompt" with one search.
        self.joined = "\n".join(p[3] for p in prompts)
        self.starts = []
        pos = 0
        for p in prompts:
            self.starts.append((pos, p))
            pos += len(p[3]) + 1

    def _prompt_at(self, offset):
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid][0] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return self.starts[lo][1]

    def match_text(self, text):
        """Returns (kind, prompt) for the first overlap of one user turn, or None."""
        t = normalize_text(text)
        if not t:
            return None
        if t in self.exact:
            return "exact", self.exact[t]
        for p in self.long_prompts:
            if len(p[3]) <= len(t) and p[3] in t:
                return "prompt_in_turn", p
        if len(t) >= self.min_chars:
            at = self.joined.find(t)
            if at >= 0:
                return "turn_in_prompt", self._prompt_at(at)
        return None

    def match_conversation(self, record):
        """Returns {"turn", "kind", "eval_set", "question_id", "eval_turn"} for the first overlapping
        user turn of a conversation record, or None."""
        for i, turn in enumerate(record["turns"]):
            if turn["role"] != "user":
                continue
            m = self.match_text(turn["content"])
            if m is not None:
                kind, (name, qid, k, _) = m
                return {"turn": i, "kind": kind, "eval_set": name, "question_id": qid, "eval_turn": k}
        return None
