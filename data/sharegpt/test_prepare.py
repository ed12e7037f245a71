"""Unit tests of the ShareGPT preparation: truncated-file reading, normalization, eval overlap, split.
Run: cd data/sharegpt && python3 -m unittest -v test_prepare (ctest runs it as sharegpt_prepare_py)."""
import json
import os
import tempfile
import unittest

from normalize import normalize
from overlap import OverlapIndex, load_eval_prompts, normalize_text
from prepare import normalize_all, remove_overlap
from sharegpt_io import read_json_array_prefix
from split import fnv1a64, is_validation


def turn(source, value):
    return {"from": source, "value": value}


class ReadTruncatedArray(unittest.TestCase):
    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8")
        f.write(text)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_complete_array(self):
        elements, info = read_json_array_prefix(self.write('[{"a": 1}, {"b": "\\u00e9"}]'))
        self.assertEqual(elements, [{"a": 1}, {"b": "é"}])
        self.assertTrue(info["complete"])

    def test_cut_inside_an_element_keeps_the_complete_ones(self):
        path = self.write('[\n  {"a": 1},\n  {"b": 2},\n  {"c": "unterminated')
        elements, info = read_json_array_prefix(path)
        self.assertEqual(elements, [{"a": 1}, {"b": 2}])
        self.assertFalse(info["complete"])
        self.assertEqual(info["parsed_bytes"], len('[\n  {"a": 1},\n  {"b": 2}'))


class Normalize(unittest.TestCase):
    def test_roles_are_mapped_and_system_banners_dropped(self):
        record, reason = normalize({"id": "x", "conversations": [
            turn("system", "*shared from TypingMind.com*"), turn("human", "q"), turn("chatgpt", "a")]})
        self.assertIsNone(reason)
        self.assertEqual(record, {"id": "x", "turns": [{"role": "user", "content": "q"},
                                                      {"role": "assistant", "content": "a"}]})

    def test_leading_answer_and_trailing_question_are_dropped(self):
        record, _ = normalize({"id": "x", "conversations": [
            turn("gpt", "orphan"), turn("human", "q"), turn("gpt", "a"), turn("human", "unanswered")]})
        self.assertEqual([t["content"] for t in record["turns"]], ["q", "a"])

    def test_cut_at_broken_alternation_or_empty_turn(self):
        record, _ = normalize({"id": "x", "conversations": [
            turn("human", "q1"), turn("gpt", "a1"), turn("human", "q2"), turn("human", "q3"), turn("gpt", "a3")]})
        self.assertEqual([t["content"] for t in record["turns"]], ["q1", "a1"])
        record, _ = normalize({"id": "x", "conversations": [
            turn("human", "q1"), turn("gpt", "a1"), turn("human", "q2"), turn("gpt", "  ")]})
        self.assertEqual([t["content"] for t in record["turns"]], ["q1", "a1"])

    def test_reasons(self):
        self.assertEqual(normalize({"id": "x", "conversations": []})[1], "empty")
        self.assertEqual(normalize({"id": "x", "conversations": [turn("human", "q")]})[1], "no_answer")
        self.assertEqual(normalize({"id": "x", "conversations": [turn("robot", "q")]})[1], "unknown_role")
        self.assertEqual(normalize({"conversations": []})[1], "malformed")

    def test_duplicate_ids_keep_the_first(self):
        conv = [turn("human", "q"), turn("gpt", "a")]
        kept, dropped = normalize_all([{"id": "d", "conversations": []}, {"id": "d", "conversations": conv},
                                       {"id": "d", "conversations": conv}])
        self.assertEqual(len(kept), 1)
        self.assertEqual(dropped["duplicate_id"], 1)
        self.assertEqual(dropped["empty"], 1)


class Overlap(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        os.makedirs(os.path.join(self.dir, "mt_bench"))
        with open(os.path.join(self.dir, "mt_bench", "question.jsonl"), "w", encoding="utf-8") as f:
            f.write(json.dumps({"question_id": 81, "turns": [
                "Compose an engaging travel blog post about a recent trip to Hawaii.", "Short one."]}) + "\n")
        self.index = OverlapIndex(load_eval_prompts(self.dir))

    def conversation(self, user_text):
        return {"id": "c", "turns": [{"role": "user", "content": user_text}, {"role": "assistant", "content": "a"}]}

    def test_normalize_text(self):
        self.assertEqual(normalize_text("  Hello,\n WORLD!! ｆｕｌｌ-width_x "), "hello world full width x")

    def test_exact_match_after_normalization_any_length(self):
        m = self.index.match_conversation(self.conversation("short ONE"))
        self.assertEqual((m["kind"], m["eval_set"], m["question_id"], m["eval_turn"]), ("exact", "mt_bench", 81, 1))

    def test_eval_prompt_inside_a_longer_user_turn(self):
        text = "Please: compose an engaging travel-blog post about a recent trip to Hawaii. Thanks!"
        self.assertEqual(self.index.match_conversation(self.conversation(text))["kind"], "prompt_in_turn")

    def test_long_user_turn_inside_an_eval_prompt(self):
        text = "an engaging travel blog post about a recent trip"
        self.assertEqual(self.index.match_conversation(self.conversation(text))["kind"], "turn_in_prompt")

    def test_short_fragments_and_unrelated_text_do_not_match(self):
        self.assertIsNone(self.index.match_conversation(self.conversation("a recent trip")))
        self.assertIsNone(self.index.match_conversation(self.conversation("Write a poem about the sea.")))

    def test_assistant_turns_are_not_checked(self):
        conv = {"id": "c", "turns": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Short one."}]}
        self.assertIsNone(self.index.match_conversation(conv))

    def test_remove_overlap_reports_dropped(self):
        kept, dropped = remove_overlap([self.conversation("Short one."), self.conversation("fine")], self.index)
        self.assertEqual(len(kept), 1)
        self.assertEqual(dropped[0]["kind"], "exact")


class Split(unittest.TestCase):
    def test_fnv_vectors_shared_with_cpp(self):
        self.assertEqual(fnv1a64("a"), 0xAF63DC4C8601EC8C)
        self.assertTrue(is_validation("J410gdS_19"))
        self.assertFalse(is_validation("QWJhYvA_0"))


if __name__ == "__main__":
    unittest.main()
