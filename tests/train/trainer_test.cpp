// The trainer on the tiny Llama fixture: loss masking, overfitting a tiny batch, exact resume from
// a checkpoint, identical runs for 1 and 2 threads, config round trips.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "core/train/example_builder.h"
#include "core/train/grow_head.h"
#include "core/train/frozen_lm_head.h"
#include "core/train/param_layout.h"
#include "core/train/sequence_loss.h"
#include "core/train/trainer.h"
#include "tests/train/tiny_data.h"

namespace eaglerun {
namespace {

namespace fs = std::filesystem;

class TinyTrainer : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = train::test::tiny_target(pool_);
    data_ = std::make_unique<InMemoryDataSource>(train::test::tiny_sequences(*target_, 7, 18, 100), 64);
  }
  TrainerConfig config() const {
    TrainerConfig c;
    c.lr = 2e-3;
    c.warmup_steps = 3;
    c.total_steps = 40;
    c.batch_sequences = 3;
    c.seed = 11;
    c.clip_norm = 1.0;
    c.validation_fraction = 0.0;
    return c;
  }
  Trainer make(const TrainerConfig& c, ThreadPool& pool) {
    return Trainer(c, Trainer::initial_head(*target_, c.inputs, 3), *target_, *data_, pool);
  }
  static fs::path temp_dir(const std::string& name) {
    const fs::path p = fs::temp_directory_path() / ("eaglerun_train_test_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(p);
    return p;
  }

  ThreadPool pool_{2};
  std::unique_ptr<Model> target_;
  std::unique_ptr<InMemoryDataSource> data_;
};

std::vector<float> flat(const DraftHead& h) { return train::flatten<float>(train::ParamLayout(h.config()), h); }

TEST(TrainingData, OutputJIsSelectedByLossMaskJAndNeedsANextFeature) {
  TrainingSequence s{{5, 6, 7, 8, 9}, std::vector<float>(5 * 2), {0, 1, 1, 0, 1}};
  EXPECT_EQ(selected_outputs(s), (std::vector<int64_t>{1, 2}));  // j = 4 has no f_5
  s.loss_mask = {1, 1, 1, 1, 1};
  EXPECT_EQ(selected_outputs(s), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_THROW(InMemoryDataSource({{{1, 2}, {0.f}, {1, 1}}}, 2), Error);
}

TEST_F(TinyTrainer, ExampleCutsPairsTokensAndAddsBoundedNoise) {
  TrainerConfig c = config();
  c.max_seq_len = 10;
  c.feature_noise = 0.05;
  const TrainingSequence seq = data_->get(0);  // 18 tokens, mask from 3
  train::RandomStream noise(1, train::kStreamNoise, 0);
  const auto ex = train::build_example(seq, *target_, c, &noise);
  EXPECT_EQ(ex.selected, (std::vector<int64_t>{3, 4, 5, 6, 7, 8}));  // cut to 10 tokens: j + 1 < 10
  EXPECT_EQ(ex.m, 9);
  std::vector<float> emb(64);
  target_->embed(std::span<const int32_t>(&seq.tokens[5], 1), emb.data());  // row 4 pairs f_4 with t_5
  EXPECT_EQ(std::vector<float>(ex.emb.begin() + 4 * 64, ex.emb.begin() + 5 * 64), emb);
  double max_noise = 0;
  for (int64_t i = 0; i < 9 * 64; ++i) max_noise = std::max<double>(max_noise, std::abs(ex.features[i] - seq.features[i]));
  EXPECT_LE(max_noise, 0.05);
  EXPECT_GT(max_noise, 0.045);
  for (int64_t i = 0; i < 64; ++i) EXPECT_EQ(ex.targets[i], seq.features[4 * 64 + i]);  // f_{3+1}, clean
  c.noise_reference_len = 512;  // official scaling: a * 512 / T
  EXPECT_DOUBLE_EQ(train::noise_amplitude(c, 16), 0.05 * 32);
  c.inputs = DraftInputs::FeatureAndUnshiftedToken;
  const auto ex2 = train::build_example(seq, *target_, c, nullptr);
  target_->embed(std::span<const int32_t>(&seq.tokens[4], 1), emb.data());
  EXPECT_EQ(std::vector<float>(ex2.emb.begin() + 4 * 64, ex2.emb.begin() + 5 * 64), emb);
}

TEST_F(TinyTrainer, LossIsTheMeanOverSelectedPositions) {
  // The loss of a mask equals the mean of the single-position losses (each from a mask with
  // only that position), and masked-out positions contribute nothing.
  TrainerConfig c = config();
  c.feature_noise = 0;
  const DraftHead head = Trainer::initial_head(*target_, c.inputs, 3);
  const train::ParamLayout layout(head.config());
  const std::vector<float> params = train::flatten<float>(layout, head);
  const auto w = train::head_tensors<const float>(layout, params.data());
  const auto lm = train::FrozenLmHead::from_model(*target_, pool_);
  const train::LossWeights weights{1.0, 0.1};
  TrainingSequence seq = data_->get(1);
  seq.loss_mask.assign(seq.tokens.size(), 0);
  auto loss_of = [&](std::vector<int> positions) {
    TrainingSequence s = seq;
    for (int p : positions) s.loss_mask[p] = 1;
    const auto ex = train::build_example(s, *target_, c, nullptr);
    return train::sequence_loss<float>(head.config(), w, lm, ex, weights, 1.0, nullptr, pool_);
  };
  EXPECT_EQ(loss_of({}).positions, 0);
  const train::LossSums all = loss_of({2, 5, 9});
  double sum = 0;
  for (int p : {2, 5, 9}) sum += loss_of({p}).total(weights);
  EXPECT_EQ(all.positions, 3);
  EXPECT_NEAR(all.total(weights), sum / 3, 1e-5 * sum);
  EXPECT_EQ(loss_of({2, 5, 9, static_cast<int>(seq.tokens.size()) - 1}).positions, 3);  // last: no target
}

TEST_F(TinyTrainer, AllMaskedBatchChangesNothing) {
  std::vector<TrainingSequence> seqs = train::test::tiny_sequences(*target_, 2, 8, 7);
  for (auto& s : seqs) s.loss_mask.assign(s.tokens.size(), 0);
  InMemoryDataSource masked(seqs, 64);
  TrainerConfig c = config();
  Trainer t(c, Trainer::initial_head(*target_, c.inputs, 3), *target_, masked, pool_);
  const std::vector<float> before = flat(t.head());
  const StepMetrics m = t.step();
  EXPECT_EQ(m.positions, 0);
  EXPECT_EQ(m.step, 1);
  EXPECT_EQ(flat(t.head()), before);
}

TEST_F(TinyTrainer, OverfitsATinyBatch) {
  std::vector<TrainingSequence> seqs = train::test::tiny_sequences(*target_, 2, 12, 50);
  InMemoryDataSource tiny(seqs, 64);
  TrainerConfig c = config();
  c.lr = 3e-3;
  c.warmup_steps = 0;
  c.schedule = "constant";
  c.total_steps = 600;
  c.batch_sequences = 2;
  c.feature_noise = 0;
  c.clip_value = 0;
  c.clip_norm = 0;
  Trainer t(c, Trainer::initial_head(*target_, c.inputs, 3), *target_, tiny, pool_);
  StepMetrics first, last;
  t.run(c.total_steps, {.on_step = [&](const StepMetrics& m) { (m.step == 1 ? first : last) = m; },
                        .on_validation = {},
                        .on_checkpoint = {}});
  std::printf("overfit: feature loss %.4g -> %.4g, token KL %.4g -> %.4g, loss %.4g -> %.4g (entropy floor %.4g)\n",
              first.feature_loss, last.feature_loss, first.token_kl, last.token_kl, first.loss, last.loss,
              0.1 * (last.token_loss - last.token_kl));
  EXPECT_LT(last.feature_loss, 0.01 * first.feature_loss);
  EXPECT_LT(last.token_kl, 0.01 * first.token_kl);
  // The loss itself approaches its floor, 0.1 x the entropy of the target's soft labels.
  const double floor = 0.1 * (last.token_loss - last.token_kl);
  EXPECT_LT(last.loss - floor, 0.01 * (first.loss - floor));
}

TEST_F(TinyTrainer, ResumeReproducesTheUninterruptedRunExactly) {
  const TrainerConfig c = config();  // noise on, epochs wrap inside batches, clipping by value and norm
  Trainer full = make(c, pool_);
  const std::vector<double> want = train::test::step_losses(full, 12);

  Trainer first = make(c, pool_);
  std::vector<double> got = train::test::step_losses(first, 5);
  const fs::path dir = temp_dir("resume");
  first.save_checkpoint(dir.string() + "/");  // a trailing separator names the same folder
  Trainer resumed = Trainer::resume(dir.string(), *target_, *data_, pool_);
  EXPECT_EQ(resumed.steps_done(), 5);
  const std::vector<double> rest = train::test::step_losses(resumed, 12);
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, want);  // bit for bit
  EXPECT_EQ(flat(resumed.head()), flat(full.head()));
  // The checkpoint folder is a loadable head.
  EXPECT_EQ(DraftHead::load(dir.string()).config().inputs, c.inputs);
  fs::remove_all(dir);
}

TEST_F(TinyTrainer, RunCheckpointsOnScheduleAndResumesFromThere) {
  TrainerConfig c = config();
  const fs::path dir = temp_dir("schedule");
  c.checkpoint_every = 4;
  c.checkpoint_dir = dir.string();
  Trainer t = make(c, pool_);
  std::vector<std::string> saved;
  double loss9 = 0;
  t.run(9, {.on_step = [&](const StepMetrics& m) { loss9 = m.loss; },
            .on_validation = {},
            .on_checkpoint = [&](int64_t, const std::string& d) { saved.push_back(d); }});
  ASSERT_EQ(saved.size(), 2u);
  EXPECT_EQ(saved[1], (dir / "step-00000008").string());
  Trainer r = Trainer::resume(saved[1], *target_, *data_, pool_);
  EXPECT_EQ(r.steps_done(), 8);
  EXPECT_EQ(r.step().loss, loss9);
  fs::remove_all(dir);
}

TEST_F(TinyTrainer, RolloutDepthsTrainOnTheHeadsOwnPredictionsAndResumeExactly) {
  // rollout_depths = 3: each step logs the three depths' losses (depth 0's is the step's loss); the
  // rolled-out losses fall further than when only depth 0 is trained; a resumed run is bit-identical.
  TrainerConfig c = config();
  c.rollout_depths = 3;
  Trainer rolled = make(c, pool_);
  StepMetrics first, last;
  rolled.run(c.total_steps, {.on_step = [&](const StepMetrics& m) { (m.step == 1 ? first : last) = m; },
                             .on_validation = {},
                             .on_checkpoint = {}});
  ASSERT_EQ(last.depth_loss.size(), 3u);
  EXPECT_EQ(last.depth_loss[0], last.loss);
  // The same weights scored with three depths after training depth 0 only.
  TrainerConfig plain_config = config();
  Trainer plain = make(plain_config, pool_);
  plain.run(plain_config.total_steps, {});
  auto rolled_losses = [&](Trainer& t) {
    const DraftHead& head = t.head();
    const train::ParamLayout layout(head.config());
    const std::vector<float> params = train::flatten<float>(layout, head);
    const train::FrozenLmHead lm = train::FrozenLmHead::from_model(*target_, pool_);
    std::vector<train::LossSums> sums(3), by_depth;
    for (int64_t i = 0; i < data_->size(); ++i) {
      const auto ex = train::build_example(data_->get(i), *target_, c, nullptr);
      train::sequence_loss<float>(head.config(), train::head_tensors<const float>(layout, params.data()), lm, ex,
                                  {1.0, 0.1}, 1.0, nullptr, pool_, {3, 0.8}, &by_depth);
      for (std::size_t d = 0; d < 3; ++d) sums[d] += by_depth[d];
    }
    std::vector<double> out;
    for (const auto& s : sums) out.push_back(s.total({1.0, 0.1}));
    return out;
  };
  const std::vector<double> with = rolled_losses(rolled), without = rolled_losses(plain);
  std::printf("rolled-out loss by depth after %lld steps: trained on depths 0-2 %.4f %.4f %.4f, on depth 0 %.4f %.4f %.4f\n",
              static_cast<long long>(c.total_steps), with[0], with[1], with[2], without[0], without[1], without[2]);
  EXPECT_LT(with[1], without[1]);
  EXPECT_LT(with[2], without[2]);

  c.total_steps = 12;
  Trainer full = make(c, pool_);
  const std::vector<double> want = train::test::step_losses(full, 12);
  Trainer part = make(c, pool_);
  std::vector<double> got = train::test::step_losses(part, 5);
  const fs::path dir = temp_dir("rollout_resume");
  part.save_checkpoint(dir.string());
  Trainer resumed = Trainer::resume(dir.string(), *target_, *data_, pool_);
  const std::vector<double> rest = train::test::step_losses(resumed, 12);
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, want);
  fs::remove_all(dir);
}

TEST_F(TinyTrainer, SameLossCurveForOneAndTwoThreads) {
  ThreadPool one(1);
  const TrainerConfig c = config();
  Trainer a = make(c, one), b = make(c, pool_);
  EXPECT_EQ(train::test::step_losses(a, 6), train::test::step_losses(b, 6));
}

TEST_F(TinyTrainer, ResumeRefusesDifferentData) {
  const fs::path dir = temp_dir("refuse");
  Trainer t = make(config(), pool_);
  t.step();
  t.save_checkpoint(dir.string());
  InMemoryDataSource other(train::test::tiny_sequences(*target_, 4, 10, 9), 64);
  EXPECT_THROW(Trainer::resume(dir.string(), *target_, other, pool_), Error);
  fs::remove_all(dir);
}

// Data carrying taps of layers {1, 0}: a head reading layer 0 gets f_j and the data's second tap in
// each row, trains and validates on it; a head without taps ignores them; a layer the data lacks is refused.
TEST_F(TinyTrainer, TapHeadReadsItsLayersAmongTheData) {
  std::vector<TrainingSequence> seqs = train::test::tiny_sequences(*target_, 5, 14, 300);
  const std::vector<int64_t> data_layers = {1, 0};
  for (TrainingSequence& s : seqs) {
    KvCache kv = target_->make_cache(static_cast<int64_t>(s.tokens.size()));
    s.taps = target_->forward_causal(s.tokens, kv, LogitRows::None, data_layers).taps;
  }
  const InMemoryDataSource data(seqs, 64, data_layers);
  const train::TapSelection select = train::TapSelection::make({0}, data_layers);
  EXPECT_EQ(select.index, (std::vector<int64_t>{1}));
  const auto ex = train::build_example(seqs[0], *target_, config(), nullptr, select);
  ASSERT_EQ(static_cast<int64_t>(ex.features.size()), ex.m * 2 * 64);
  for (int64_t j = 0; j < 64; ++j) {
    EXPECT_EQ(ex.features[2 * 2 * 64 + j], seqs[0].features[2 * 64 + j]);            // row 2: f_2, then
    EXPECT_EQ(ex.features[2 * 2 * 64 + 64 + j], seqs[0].taps[(2 * 2 + 1) * 64 + j]);  // layer 0's tap
  }
  // tap_dropout: with a noise stream, about that share of rows lose all their taps (the feature stays).
  TrainerConfig dropping = config();
  dropping.tap_dropout = 0.5;
  dropping.feature_noise = 0;
  train::RandomStream noise(4, train::kStreamNoise, 0);
  const auto dropped = train::build_example(seqs[0], *target_, dropping, &noise, select);
  int64_t zeroed = 0;
  for (int64_t i = 0; i < dropped.m; ++i) {
    bool all_zero = true;
    for (int64_t j = 0; j < 64; ++j) {
      all_zero = all_zero && dropped.features[i * 128 + 64 + j] == 0.f;
      ASSERT_EQ(dropped.features[i * 128 + j], seqs[0].features[i * 64 + j]);
    }
    zeroed += all_zero;
  }
  EXPECT_GT(zeroed, 0);
  EXPECT_LT(zeroed, dropped.m);
  const DraftHead tap_head = train::grow_head(Trainer::initial_head(*target_, config().inputs, 3), {.tap_layers = {0}}, 1);
  TrainerConfig c = config();
  c.validation_fraction = 0.4;  // 2 of the 5 sequences validate
  Trainer t(c, tap_head, *target_, data, pool_);
  const std::vector<double> l = train::test::step_losses(t, 20);
  EXPECT_LT(l.back(), l.front());
  EXPECT_GT(t.validate().scored[0], 0);
  Trainer plain(config(), Trainer::initial_head(*target_, config().inputs, 3), *target_, data, pool_);
  EXPECT_NO_THROW(plain.step());
  const DraftHead missing = train::grow_head(Trainer::initial_head(*target_, config().inputs, 3), {.tap_layers = {0}}, 1);
  EXPECT_THROW(Trainer(config(), missing, *target_, *data_, pool_), Error);  // *data_ holds no taps
  EXPECT_THROW(train::TapSelection::make({2}, data_layers), Error);
}

TEST_F(TinyTrainer, RejectsAHeadWhoseInputsDifferFromTheConfig) {
  TrainerConfig c = config();
  c.inputs = DraftInputs::TokenOnly;
  EXPECT_THROW(Trainer(c, Trainer::initial_head(*target_, DraftInputs::FeatureOnly, 1), *target_, *data_, pool_), Error);
}

TEST(TrainerConfig, JsonRoundTripAndErrors) {
  TrainerConfig c;
  c.lr = 1.234567890123e-4;
  c.schedule = "cosine";
  c.inputs = DraftInputs::FeatureAndUnshiftedToken;
  c.seed = 18446744073709551615ull;
  c.checkpoint_dir = "/tmp/x";
  const TrainerConfig d = TrainerConfig::from_json(c.to_json(), "test");
  EXPECT_EQ(d.to_json(), c.to_json());
  EXPECT_EQ(d.lr, c.lr);
  EXPECT_EQ(d.inputs, c.inputs);
  EXPECT_THROW(TrainerConfig::from_json(R"({"learning_rate": 1})", "t"), Error);  // unknown key
  EXPECT_THROW(TrainerConfig::from_json(R"({"lr": "fast"})", "t"), Error);
  EXPECT_THROW(TrainerConfig::from_json(R"({"schedule": "step"})", "t"), Error);
  EXPECT_THROW(TrainerConfig::from_json(R"({"inputs": "both"})", "t"), Error);
  EXPECT_EQ(TrainerConfig::from_json("{}", "t").to_json(), TrainerConfig().to_json());
}

TEST(TrainerConfig, LearningRateSchedules) {
  TrainerConfig c;
  c.lr = 1.0;
  c.warmup_steps = 4;
  c.total_steps = 14;
  EXPECT_DOUBLE_EQ(train::learning_rate(c, 0), 0.25);
  EXPECT_DOUBLE_EQ(train::learning_rate(c, 3), 1.0);
  EXPECT_DOUBLE_EQ(train::learning_rate(c, 4), 1.0);
  EXPECT_DOUBLE_EQ(train::learning_rate(c, 9), 0.5);
  EXPECT_DOUBLE_EQ(train::learning_rate(c, 14), 0.0);
  c.schedule = "cosine";
  EXPECT_NEAR(train::learning_rate(c, 9), 0.5, 1e-12);
  EXPECT_NEAR(train::learning_rate(c, 14), 0.0, 1e-12);
  c.schedule = "constant";
  EXPECT_DOUBLE_EQ(train::learning_rate(c, 13), 1.0);
}

TEST(DraftHeadInputs, ConfigKeyRoundTripsAndDefaultsToEagle) {
  DraftHeadConfig c;
  c.hidden_size = 8, c.intermediate_size = 8, c.n_heads = 2, c.n_kv_heads = 1, c.head_dim = 4, c.vocab_size = 10;
  EXPECT_EQ(DraftHeadConfig::from_json(c.to_json(), "t").inputs, DraftInputs::FeatureAndShiftedToken);
  c.inputs = DraftInputs::TokenOnly;
  EXPECT_EQ(DraftHeadConfig::from_json(c.to_json(), "t").inputs, DraftInputs::TokenOnly);
  const std::string released = R"({"hidden_size": 8, "intermediate_size": 8, "num_attention_heads": 2,
                                   "num_key_value_heads": 1, "vocab_size": 10})";
  EXPECT_EQ(DraftHeadConfig::from_json(released, "t").inputs, DraftInputs::FeatureAndShiftedToken);
  EXPECT_THROW(DraftHeadConfig::from_json(R"({"hidden_size": 8, "intermediate_size": 8, "num_attention_heads": 2,
                                              "vocab_size": 10, "eaglerun_inputs": "tokens"})", "t"),
               Error);
}

}  // namespace
}  // namespace eaglerun
