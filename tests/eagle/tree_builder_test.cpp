// Tree building over a draft vocabulary: scanning only the draft's tokens gives the same candidates
// (and the same dynamic-tree values, to rounding) as scanning the whole vocabulary, where every
// other logit is -inf.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/eagle/tree_builder.h"

namespace eaglerun {
namespace {

constexpr int64_t kVocab = 300;
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

// Logits of a node, a function of (token, depth) only, -inf outside `vocabulary`, with ties.
std::vector<float> node_logits(int32_t token, int32_t depth, const std::vector<int32_t>& vocabulary) {
  std::mt19937 rng(static_cast<uint32_t>(token * 131 + depth));
  std::vector<float> logits(kVocab, kMinusInf);
  for (int32_t t : vocabulary) logits[t] = static_cast<float>(rng() % 40) * 0.25f;  // many equal values
  return logits;
}

// A drafter whose logits depend only on the node's token and depth; it may or may not tell the tree
// builder its draft vocabulary (the logits are the same either way).
class FakeDrafter final : public Drafter {
 public:
  FakeDrafter(std::vector<int32_t> vocabulary, bool tell)
      : vocabulary_(std::move(vocabulary)), tell_(tell), root_(node_logits(7, 0, vocabulary_)) {}
  void begin(std::span<const int32_t>, const float*, int32_t) override {}
  void advance(const float*, std::span<const int32_t>) override {}
  const std::vector<float>& root_logits() const override { return root_; }
  std::vector<float> expand(std::span<const DraftNode> nodes) override {
    rows += static_cast<int64_t>(nodes.size());
    std::vector<float> out;
    for (const DraftNode& n : nodes) {
      const std::vector<float> l = node_logits(n.token, n.depth, vocabulary_);
      out.insert(out.end(), l.begin(), l.end());
    }
    return out;
  }
  void discard_tree() override {}
  int64_t vocab_size() const override { return kVocab; }
  std::span<const int32_t> draft_vocabulary() const override {
    return tell_ ? std::span<const int32_t>(vocabulary_) : std::span<const int32_t>();
  }
  int64_t rows = 0;  // nodes expanded so far (the rows a head would run past its context)

 private:
  std::vector<int32_t> vocabulary_;
  bool tell_;
  std::vector<float> root_;
};

std::vector<int32_t> some_tokens(int n, uint32_t seed) {
  std::vector<int32_t> all(kVocab);
  for (int32_t t = 0; t < kVocab; ++t) all[t] = t;
  std::shuffle(all.begin(), all.end(), std::mt19937(seed));
  all.resize(static_cast<std::size_t>(n));
  return all;  // not sorted: a draft vocabulary is ordered by frequency
}

TEST(TopKAmong, EqualsTheFullScanWhenEverythingElseIsMinusInfinity) {
  for (uint32_t seed = 0; seed < 20; ++seed) {
    const std::vector<int32_t> among = some_tokens(5 + static_cast<int>(seed) * 7, seed);
    const std::vector<float> logits = node_logits(static_cast<int32_t>(seed), 1, among);
    for (int64_t k : {1, 3, 5}) {
      EXPECT_EQ(top_k_among(logits.data(), kVocab, among, k), top_k_indices(logits.data(), kVocab, k)) << seed;
    }
    // Asking for more than the draft vocabulary holds gives all of it, never a -inf token.
    const std::vector<int32_t> all = top_k_among(logits.data(), kVocab, among, kVocab);
    EXPECT_EQ(all.size(), among.size());
  }
}

TEST(TreeBuilder, DraftVocabularyGivesTheSameTrees) {
  const std::vector<int32_t> vocabulary = some_tokens(40, 3);
  FakeDrafter told(vocabulary, true), untold(vocabulary, false);
  Sampler greedy(SamplingParams{});

  const StaticTreeShape shape = eagle1_tree();
  const DraftTree a = build_static_tree(told, shape, 7, greedy), b = build_static_tree(untold, shape, 7, greedy);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.parent, b.parent);
  EXPECT_EQ(a.size(), 26);

  const DynamicTreeShape dynamic{.total = 30, .depth = 4, .topk = 5};
  const DraftTree c = build_dynamic_tree(told, dynamic, 7, greedy), d = build_dynamic_tree(untold, dynamic, 7, greedy);
  EXPECT_EQ(c.tokens, d.tokens);
  EXPECT_EQ(c.parent, d.parent);
  ASSERT_EQ(c.value.size(), d.value.size());
  for (std::size_t i = 0; i < c.value.size(); ++i) EXPECT_NEAR(c.value[i], d.value[i], 1e-9) << i;
  for (std::size_t i = 1; i < c.tokens.size(); ++i) {
    EXPECT_NE(std::find(vocabulary.begin(), vocabulary.end(), c.tokens[i]), vocabulary.end()) << c.tokens[i];
  }
}

// Sampling: a dynamic tree's children are drawn from the draft distribution, which the tree keeps
// for verification, and each node keeps a prefix of its draws whatever `total` is (with the same
// seed the draws and expansions are the same, so a smaller tree's children of a node are the first
// of a larger tree's). Keeping a later draw without an earlier one, or choosing children by their
// own drawn tokens, would change the proposals' distribution.
TEST(TreeBuilder, SampledDynamicTreesKeepAPrefixOfEachNodesDraws) {
  const std::vector<int32_t> vocabulary = some_tokens(60, 4);
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto build = [&](int32_t total) {
      FakeDrafter drafter(vocabulary, true);
      Sampler s(SamplingParams{.temperature = 1.f, .seed = seed});
      return build_dynamic_tree(drafter, DynamicTreeShape{.total = total, .depth = 4, .topk = 3}, 7, s);
    };
    const DraftTree all = build(1000), small = build(6);
    ASSERT_EQ(all.size(), 1 + 3 + 9 + 9 + 9) << seed;  // every draw of every expanded node
    ASSERT_EQ(small.size(), 7) << seed;
    const auto all_children = all.children(), small_children = small.children();
    // Node paths (root first) of the small tree found in the large one, node by node.
    std::vector<int32_t> in_all(static_cast<std::size_t>(small.size()), -1);
    in_all[0] = 0;
    for (int32_t u = 0; u < small.size(); ++u) {
      const auto& mine = small_children[u];
      if (mine.empty()) continue;
      EXPECT_EQ(small.child_distribution[u].size(), static_cast<std::size_t>(kVocab)) << "node " << u;
      EXPECT_EQ(small.child_distribution[u], all.child_distribution[in_all[u]]) << "node " << u;
      const auto& theirs = all_children[in_all[u]];
      ASSERT_LE(mine.size(), theirs.size());
      for (std::size_t i = 0; i < mine.size(); ++i) {
        EXPECT_EQ(small.tokens[mine[i]], all.tokens[theirs[i]]) << "seed " << seed << ", node " << u << ", child " << i;
        in_all[mine[i]] = theirs[i];
      }
    }
  }
}

// A drafter sizes its cache as context + TreeSpec::max_draft_rows(). A dynamic tree expands more
// nodes than it keeps when (depth - 1) topk > total (16, 6, 4: 20 rows for 17 nodes), which once
// overflowed a cache sized by max_nodes() on a long MT-bench prompt ("context full").
TEST(TreeBuilder, DraftingStaysWithinMaxDraftRows) {
  Sampler greedy(SamplingParams{});
  for (const char* name : {"chain:1", "chain:4", "eagle1", "dynamic:total=16,depth=6,topk=4",
                           "dynamic:total=59,depth=5,topk=10", "dynamic:total=3,depth=3,topk=2"}) {
    const TreeSpec spec = parse_tree_spec(name);
    FakeDrafter drafter(some_tokens(200, 5), true);
    if (spec.kind == TreeSpec::Kind::Dynamic) {
      build_dynamic_tree(drafter, spec.dynamic, 7, greedy);
      EXPECT_EQ(drafter.rows, spec.max_draft_rows()) << name;  // every level expands topk nodes here
    } else {
      build_static_tree(drafter, spec.shape, 7, greedy);
      EXPECT_LE(drafter.rows, spec.max_draft_rows()) << name;
    }
  }
  EXPECT_GT(parse_tree_spec("dynamic:total=16,depth=6,topk=4").max_draft_rows(),
            parse_tree_spec("dynamic:total=16,depth=6,topk=4").max_nodes());
  EXPECT_EQ(parse_tree_spec("auto").max_draft_rows(), int64_t{kAutoMaxDepth - 1} * kAutoMaxWidth);
}

}  // namespace
}  // namespace eaglerun
