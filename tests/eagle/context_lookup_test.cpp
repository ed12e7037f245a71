// Drafts copied from the context: which match ContextLookup finds, how LookupLength sizes a copy
// from what was accepted, and how a copy joins a draft tree (DraftTree::with_path).
#include "core/eagle/context_lookup.h"

#include <gtest/gtest.h>

#include <limits>

#include "core/eagle/draft_tree.h"

namespace eaglerun {
namespace {

using Tokens = std::vector<int32_t>;

ContextLookup lookup_of(const Tokens& context) {
  ContextLookup c;
  c.reset(context);
  return c;
}

TEST(ContextLookup, CopiesWhatFollowedTheLongestSuffixAtItsLatestOccurrence) {
  //                      0  1  2  3  4  5  6  7  8  9
  const ContextLookup c = lookup_of({1, 2, 3, 9, 2, 3, 7, 8, 1, 2, 3});
  // The suffix 1 2 3 occurred at 0..2 (followed by 9); 2 3 also at 4..5, later, but is shorter.
  ContextLookup::Match m = c.find(4);
  EXPECT_EQ(m.length, 3);
  EXPECT_EQ(m.continuation, (Tokens{9, 2, 3, 7}));
  EXPECT_EQ(c.find(100).continuation, (Tokens{9, 2, 3, 7, 8, 1, 2, 3}));  // up to the context's end
  EXPECT_EQ(c.find(0).length, 0);
}

TEST(ContextLookup, PrefersTheLatestOccurrenceAndReadsIntoItsOwnRepeat) {
  ContextLookup c = lookup_of({5, 6, 5, 7});
  c.append(5);
  // Suffix 7 5? no; 5 occurred at 0 and 2: the latest (2) is followed by 7.
  EXPECT_EQ(c.find(3).continuation, (Tokens{7, 5}));
  EXPECT_EQ(c.find(3).length, 1);
  // A loop: a b a b a -> the suffix "a b a" last occurred at 0..2, followed by "b a".
  const ContextLookup loop = lookup_of({4, 8, 4, 8, 4});
  EXPECT_EQ(loop.find(8).length, 3);
  EXPECT_EQ(loop.find(8).continuation, (Tokens{8, 4}));
}

TEST(ContextLookup, NoMatchWithoutAnEarlierOccurrence) {
  EXPECT_EQ(lookup_of({1, 2, 3, 4}).find(4).length, 0);
  EXPECT_TRUE(lookup_of({1, 2, 3, 4}).find(4).continuation.empty());
  EXPECT_EQ(lookup_of({7}).find(4).length, 0);
  EXPECT_EQ(lookup_of({}).find(4).length, 0);
  EXPECT_EQ(lookup_of({7, 7}).find(4).continuation, (Tokens{7}));
}

TEST(ContextLookup, MatchesAtMostKMaxMatchTokensAndResetForgets) {
  Tokens t;
  for (int rep = 0; rep < 2; ++rep) {
    for (int32_t i = 0; i < 10; ++i) t.push_back(i);
  }
  ContextLookup c = lookup_of(t);
  EXPECT_EQ(c.find(2).length, ContextLookup::kMaxMatch);
  EXPECT_EQ(c.find(2).continuation, (Tokens{0, 1}));
  c.reset(Tokens{1, 2, 3});
  EXPECT_EQ(c.size(), 3);
  EXPECT_EQ(c.find(2).length, 0);
}

TEST(LookupLength, StartsShortGrowsWhereCopiesAreAcceptedAndShrinksWhereNot) {
  LookupLength length(16);
  // Untried: each next token counts as a coin flip, so 0.5^3 >= kMinChance > 0.5^4.
  EXPECT_EQ(length.choose(6, 16), 3);
  EXPECT_EQ(length.choose(6, 2), 2);
  EXPECT_EQ(length.choose(0, 16), 0);
  for (int i = 0; i < 200; ++i) length.observe(6, length.choose(6, 16), length.choose(6, 16));
  EXPECT_EQ(length.choose(6, 16), 16);
  for (int i = 0; i < 200; ++i) length.observe(1, length.choose(1, 16), 0);
  EXPECT_EQ(length.choose(1, 16), 0);
  // Other match lengths keep their own rates; kMaxMatch and longer share one.
  EXPECT_EQ(length.choose(3, 16), 3);
  EXPECT_EQ(length.choose(60, 16), 16);
}

TEST(LookupLength, CostAwareAsksAsMuchOfACopyAsItsTreeRowsCost) {
  LookupLength length(16, true);
  // Verify time 1 + 0.5 n seconds for n nodes; steps of 4 seconds emit 2 tokens: a row costs 0.5 s,
  // a token is worth 2 s, so a copied token must be accepted with a chance of at least 0.25.
  auto observe = [&](int steps) {
    for (int i = 0; i < steps; ++i) {
      const int64_t n = 3 + i % 5;
      length.observe_step(n, 1.0 + 0.5 * static_cast<double>(n), 2, 4.0);
    }
  };
  observe(static_cast<int>(LookupLength::kMinSteps) - 1);
  EXPECT_DOUBLE_EQ(length.min_chance(), LookupLength::kMinChance);  // too few steps yet
  observe(1);
  EXPECT_NEAR(length.min_chance(), 0.25, 1e-9);
  EXPECT_EQ(length.choose(6, 16), 2);  // untried: 0.5, 0.25, then 0.125 < 0.25
  // Rows that cost nothing next to a token: the floor.
  LookupLength cheap(16, true);
  for (int i = 0; i < 100; ++i) cheap.observe_step(3 + i % 4, 1.0, 2, 4.0);
  EXPECT_DOUBLE_EQ(cheap.min_chance(), 0.02);
  // One tree size only: no slope to fit, the default.
  LookupLength one_size(16, true);
  for (int i = 0; i < 100; ++i) one_size.observe_step(3, 2.0, 2, 4.0);
  EXPECT_DOUBLE_EQ(one_size.min_chance(), LookupLength::kMinChance);
  // Not cost-aware (fixed trees): the same costs change nothing.
  LookupLength fixed(16);
  for (int i = 0; i < 100; ++i) fixed.observe_step(3 + i % 5, 1.0 + 0.5 * (3 + i % 5), 2, 4.0);
  EXPECT_DOUBLE_EQ(fixed.min_chance(), LookupLength::kMinChance);
}

TEST(DraftTreeWithPath, FollowsMatchingNodesThenAddsTheRestInBreadthFirstOrder) {
  DraftTree t(10);
  t.add(0, 1);          // 1
  t.add(0, 2);          // 2
  t.add(1, 3, -0.5);    // 3
  t.add(2, 4);          // 4
  t.add(3, 5);          // 5 (depth 3)
  const DraftTree w = t.with_path(Tokens{1, 3, 6, 7});
  // Kept: 10 | 1 2 | 3 4 | 5 6 | 7   (6 is the new child of 3, after 5; 7 at depth 4)
  EXPECT_EQ(w.tokens, (Tokens{10, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(w.parent, (Tokens{-1, 0, 0, 1, 2, 3, 3, 6}));
  EXPECT_EQ(w.depth, (Tokens{0, 1, 1, 2, 2, 3, 3, 4}));
  EXPECT_EQ(w.from_lookup, (std::vector<bool>{false, false, false, false, false, false, true, true}));
  EXPECT_EQ(w.value[3], -0.5);
  EXPECT_EQ(w.value[6], -std::numeric_limits<double>::infinity());
  // The accepted path 0 -> 1 -> 3 -> 6 took three copied tokens; 0 -> 2 none.
  EXPECT_EQ(w.accepted_along(Tokens{1, 3, 6, 7}, {0, 1, 3, 6}), 3);
  EXPECT_EQ(w.accepted_along(Tokens{1, 3, 6, 7}, {0, 2}), 0);
  EXPECT_EQ(w.accepted_along(Tokens{1, 3, 6, 7}, {0, 1, 3, 6, 7}), 4);
}

TEST(DraftTreeWithPath, APathTheTreeHoldsChangesNothingAndARootCopyBranchesFromTheRoot) {
  DraftTree t(10);
  t.add(0, 1);
  t.add(1, 2);
  const DraftTree same = t.with_path(Tokens{1, 2});
  EXPECT_EQ(same.tokens, t.tokens);
  EXPECT_EQ(same.from_lookup, (std::vector<bool>{false, false, false}));
  const DraftTree branch = t.with_path(Tokens{4, 5, 6});
  EXPECT_EQ(branch.tokens, (Tokens{10, 1, 4, 2, 5, 6}));
  EXPECT_EQ(branch.parent, (Tokens{-1, 0, 0, 1, 2, 4}));
  EXPECT_EQ(t.with_path(Tokens{}).tokens, t.tokens);
  // A copy added to a bare root is a chain.
  EXPECT_EQ(DraftTree(3).with_path(Tokens{4, 4}).parent, (Tokens{-1, 0, 1}));
}

}  // namespace
}  // namespace eaglerun
