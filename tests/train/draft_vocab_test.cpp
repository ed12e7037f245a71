// Training with a draft vocabulary (TrainerConfig::draft_vocab): the token loss spans a subset of the
// LM head's rows, validation maps the draft's top-1 back to token ids, checkpoints keep the subset.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "core/error.h"
#include "core/train/checkpoint.h"
#include "core/train/param_layout.h"
#include "core/train/trainer.h"
#include "tests/train/tiny_data.h"

namespace eaglerun {
namespace {

namespace fs = std::filesystem;

class DraftVocabTrainer : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = train::test::tiny_target(pool_);
    data_ = std::make_unique<InMemoryDataSource>(train::test::tiny_sequences(*target_, 6, 16, 200), 64);
    vocab_ = target_->config().vocab_size;
  }
  TrainerConfig config() const {
    TrainerConfig c;
    c.lr = 3e-3;
    c.warmup_steps = 0;
    c.schedule = "constant";
    c.total_steps = 60;
    c.batch_sequences = 3;
    c.seed = 5;
    c.validation_fraction = 0.0;
    return c;
  }
  Trainer make(const TrainerConfig& c, const std::vector<int32_t>& vocabulary) {
    return Trainer(c, Trainer::initial_head(*target_, c.inputs, 4), *target_, *data_, pool_, data_.get(), vocabulary);
  }
  // Every token id, in a scrambled order.
  std::vector<int32_t> scrambled() const {
    std::vector<int32_t> ids(static_cast<std::size_t>(vocab_));
    std::iota(ids.begin(), ids.end(), 0);
    std::reverse(ids.begin(), ids.end());
    std::rotate(ids.begin(), ids.begin() + 37, ids.end());
    return ids;
  }

  ThreadPool pool_{2};
  std::unique_ptr<Model> target_;
  std::unique_ptr<InMemoryDataSource> data_;
  int64_t vocab_ = 0;
};

TEST_F(DraftVocabTrainer, SubsetHeadHoldsTheChosenRows) {
  const auto full = train::FrozenLmHead::from_model(*target_, pool_);
  const std::vector<int32_t> tokens = {7, 3, 200, 0};
  const auto sub = train::FrozenLmHead::from_model(*target_, pool_, tokens);
  ASSERT_EQ(sub.vocab(), 4);
  for (int64_t r = 0; r < 4; ++r) {
    EXPECT_EQ(sub.token(r), tokens[r]);
    for (int64_t h = 0; h < sub.hidden(); ++h) EXPECT_EQ(sub.weight(r, h), full.weight(tokens[r], h)) << r << "," << h;
  }
  EXPECT_EQ(full.token(200), 200);
  EXPECT_THROW(train::FrozenLmHead::from_model(*target_, pool_, {static_cast<int32_t>(vocab_)}), Error);
}

// The whole vocabulary in another order is the same objective summed in another order: the same
// losses to rounding and, since the draft's top-1 is mapped back to token ids, the same accuracies.
TEST_F(DraftVocabTrainer, WholeVocabularyInAnyOrderMatchesNoSubset) {
  TrainerConfig c = config();
  Trainer plain = make(c, {});
  c.draft_vocab = vocab_;
  Trainer subset = make(c, scrambled());
  const std::vector<double> a = train::test::step_losses(plain, 40), b = train::test::step_losses(subset, 40);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4 * a[i]) << i;
  const ValidationResult va = plain.validate(), vb = subset.validate();
  EXPECT_GT(va.accuracy_target()[0], 0.3);
  EXPECT_EQ(va.correct_target, vb.correct_target);
  EXPECT_EQ(va.correct_token, vb.correct_token);
  EXPECT_NEAR(va.total_loss, vb.total_loss, 1e-4 * va.total_loss);
}

// A true subset: the draft's top-1 is always one of its tokens, so against a target whose top-1 is
// outside it the draft is wrong; the token loss is over the subset only (less than over all V).
TEST_F(DraftVocabTrainer, SubsetLimitsTheDraftsChoicesAndResumesExactly) {
  TrainerConfig c = config();
  c.draft_vocab = 32;
  const std::vector<int32_t> order = scrambled();
  Trainer full = make(c, order);
  EXPECT_EQ(full.draft_tokens(), std::vector<int32_t>(order.begin(), order.begin() + 32));
  const std::vector<double> want = train::test::step_losses(full, 12);
  EXPECT_LT(want.back(), want.front());

  Trainer first = make(c, order);
  std::vector<double> got = train::test::step_losses(first, 5);
  const fs::path dir = fs::temp_directory_path() / ("eaglerun_draft_vocab_" + std::to_string(::getpid()));
  first.save_checkpoint(dir.string());
  ASSERT_TRUE(fs::exists(dir / "draft_tokens.json"));
  Trainer resumed = Trainer::resume(dir.string(), *target_, *data_, pool_, data_.get());
  EXPECT_EQ(resumed.draft_tokens(), full.draft_tokens());
  const std::vector<double> rest = train::test::step_losses(resumed, 12);
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, want);  // bit for bit

  fs::remove(dir / "draft_tokens.json");
  EXPECT_THROW(train::load_checkpoint(dir.string()), Error);
  fs::remove_all(dir);
}

TEST_F(DraftVocabTrainer, TooShortAVocabularyIsAnError) {
  TrainerConfig c = config();
  c.draft_vocab = 16;
  EXPECT_THROW(make(c, {1, 2, 3}), Error);
  c.draft_vocab = -1;
  EXPECT_THROW(c.validate(), Error);
}

}  // namespace
}  // namespace eaglerun
