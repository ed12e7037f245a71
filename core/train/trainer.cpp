#include "core/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/train/checkpoint.h"
#include "core/train/example_builder.h"
#include "core/train/random.h"
#include "core/train/sequence_loss.h"

namespace eaglerun {
namespace {

std::string step_dir(const std::string& root, int64_t step) {
  char name[32];
  std::snprintf(name, sizeof name, "step-%08lld", static_cast<long long>(step));
  return root + "/" + name;
}

}  // namespace

Trainer::Trainer(const TrainerConfig& config, DraftHead head, const Model& target, const TrainingDataSource& data,
                 ThreadPool& pool, const TrainingDataSource* validation, const std::vector<int32_t>& vocabulary)
    : config_(config), head_(std::move(head)), layout_(head_.config()), target_(&target), data_(&data),
      validation_data_(validation ? validation : &data), pool_(&pool) {
  config_.validate();
  head_.config().check_compatible(target.config());
  require(head_.config().inputs == config_.inputs,
          "trainer: the head reads " + std::string(draft_inputs_name(head_.config().inputs)) + " but the config says " +
              std::string(draft_inputs_name(config_.inputs)));
  require(data.hidden_size() == target.config().hidden_size, "trainer: the data's features are not of the target's size");
  taps_ = train::TapSelection::make(head_.config().tap_layers, data.tap_layers());
  train::TapSelection::make(head_.config().tap_layers, validation_data_->tap_layers());  // throws when absent
  params_ = train::flatten<float>(layout_, head_);
  grads_.assign(params_.size(), 0.f);
  lm_ = std::make_shared<const train::FrozenLmHead>(train::FrozenLmHead::from_model(target, pool));
  draft_lm_ = lm_;
  if (config_.draft_vocab > 0) {
    require(static_cast<int64_t>(vocabulary.size()) >= config_.draft_vocab,
            "trainer: draft_vocab is " + std::to_string(config_.draft_vocab) + " but the vocabulary order lists " +
                std::to_string(vocabulary.size()) + " tokens");
    draft_tokens_.assign(vocabulary.begin(), vocabulary.begin() + config_.draft_vocab);
    draft_lm_ =
        std::make_shared<const train::FrozenLmHead>(train::FrozenLmHead::from_model(target, pool, draft_tokens_));
  }
  const int64_t n = data.size();
  const int64_t held_out = validation ? 0 : static_cast<int64_t>(std::floor(config_.validation_fraction * n));
  for (int64_t i = 0; i < n - held_out; ++i) train_indices_.push_back(i);
  require(!train_indices_.empty(), "trainer: no training sequences");
  const int64_t first_val = validation ? 0 : n - held_out, n_val = validation ? validation->size() : held_out;
  const int64_t keep = config_.validation_sequences > 0 ? std::min(n_val, config_.validation_sequences) : n_val;
  for (int64_t i = 0; i < keep; ++i) validation_indices_.push_back(first_val + i);
}

Trainer Trainer::resume(const std::string& dir, const Model& target, const TrainingDataSource& data, ThreadPool& pool,
                        const TrainingDataSource* validation) {
  train::TrainingState st = train::load_checkpoint(dir);
  Trainer t(st.config, std::move(st.head), target, data, pool, validation, st.draft_tokens);
  require(static_cast<int64_t>(t.train_indices_.size()) == st.train_sequences,
          dir + ": trained on " + std::to_string(st.train_sequences) + " sequences, the data now has " +
              std::to_string(t.train_indices_.size()) + " for training");
  require(static_cast<int64_t>(st.optimizer.exp_avg.size()) == t.layout_.total(), dir + ": optimizer state size");
  t.optimizer_ = std::move(st.optimizer);
  t.samples_consumed_ = st.samples_consumed;
  return t;
}

DraftHead Trainer::initial_head(const Model& target, DraftInputs inputs, uint64_t seed, bool bias) {
  DraftHeadConfig c = DraftHeadConfig::for_target(target.config());
  c.inputs = inputs;
  c.bias = bias;
  DraftHead head = DraftHead::random(c, seed);
  train::RandomStream rng(seed, train::kStreamInit, 0);
  for (auto& [name, p] : head.parameters()) {
    if (p.shape.size() == 1 && name != "fc.bias") continue;  // the norm keeps its ones
    const int64_t fan_in = name == "fc.bias" ? 2 * c.hidden_size : p.shape[1];
    const float bound = 1.f / std::sqrt(static_cast<float>(fan_in));
    for (float& v : p.values) v = (2.f * rng.uniform() - 1.f) * bound;
  }
  return head;
}

int64_t Trainer::sample_index(int64_t position) {
  const auto n = static_cast<int64_t>(train_indices_.size());
  const int64_t epoch = position / n;
  if (epoch != order_epoch_) {
    train::RandomStream rng(config_.seed, train::kStreamOrder, static_cast<uint64_t>(epoch));
    order_ = train::random_permutation(n, rng);
    order_epoch_ = epoch;
  }
  return train_indices_[order_[position % n]];
}

StepMetrics Trainer::step() {
  require(optimizer_.step < config_.total_steps, "trainer: total_steps (" + std::to_string(config_.total_steps) +
                                                     ") reached");
  const auto t0 = std::chrono::steady_clock::now();
  StepMetrics m;
  m.epoch = samples_consumed_ / static_cast<int64_t>(train_indices_.size());
  std::vector<train::HeadExample<float>> batch;
  for (int64_t b = 0; b < config_.batch_sequences; ++b) {
    const int64_t pos = samples_consumed_ + b;
    train::RandomStream noise(config_.seed, train::kStreamNoise, static_cast<uint64_t>(pos));
    batch.push_back(train::build_example(data_->get(sample_index(pos)), *target_, config_, &noise, taps_));
    m.positions += static_cast<int64_t>(batch.back().selected.size());
    m.head_rows += batch.back().m;
  }
  samples_consumed_ += config_.batch_sequences;
  m.lr = train::learning_rate(config_, optimizer_.step);
  if (m.positions > 0) {
    std::fill(grads_.begin(), grads_.end(), 0.f);
    const auto w = train::head_tensors<const float>(layout_, params_.data());
    const auto g = train::head_tensors<float>(layout_, grads_.data());
    const train::LossWeights weights{config_.feature_loss_weight, config_.token_loss_weight};
    const train::Rollout rollout{config_.rollout_depths, config_.rollout_decay};
    std::vector<train::LossSums> depth_sums(static_cast<std::size_t>(rollout.depths)), by_depth;
    for (const auto& ex : batch) {
      train::sequence_loss<float>(head_.config(), w, *draft_lm_, ex, weights, static_cast<double>(m.positions), &g,
                                  *pool_, rollout, &by_depth);
      for (std::size_t d = 0; d < by_depth.size(); ++d) depth_sums[d] += by_depth[d];
    }
    const train::LossSums& sums = depth_sums[0];  // the teacher-forced depth: the step's loss
    if (rollout.depths > 1) {
      for (const train::LossSums& d : depth_sums) m.depth_loss.push_back(d.total(weights));
    }
    const train::ClipStats clip =
        train::clip_gradients(grads_.data(), layout_.total(), config_.clip_value, config_.clip_norm);
    train::adamw_update(config_, m.lr, layout_, params_.data(), grads_.data(), optimizer_);
    m.loss = sums.total(weights);
    m.feature_loss = sums.feature / static_cast<double>(sums.positions);
    m.token_loss = sums.token / static_cast<double>(sums.positions);
    m.token_kl = (sums.token - sums.entropy) / static_cast<double>(sums.positions);
    m.grad_norm = clip.norm;
    m.clipped = clip.clipped;
  } else {
    ++optimizer_.step;
  }
  m.step = optimizer_.step;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return m;
}

void Trainer::run(int64_t until_step, const TrainerCallbacks& cb) {
  const int64_t end = std::min(until_step, config_.total_steps);
  while (optimizer_.step < end) {
    const StepMetrics m = step();
    if (cb.on_step) cb.on_step(m);
    if (config_.validate_every > 0 && m.step % config_.validate_every == 0) {
      const ValidationResult v = validate();
      if (cb.on_validation) cb.on_validation(m.step, v);
    }
    if (config_.checkpoint_every > 0 && m.step % config_.checkpoint_every == 0) {
      const std::string dir = step_dir(config_.checkpoint_dir, m.step);
      save_checkpoint(dir);
      if (cb.on_checkpoint) cb.on_checkpoint(m.step, dir);
    }
  }
}

ValidationResult Trainer::validate() {
  return validate_head(head(), *draft_lm_, *lm_, *target_, config_, *validation_data_, validation_indices_,
                       *pool_);
}

void Trainer::save_checkpoint(const std::string& dir) {
  train::save_checkpoint(dir, {config_, head(), optimizer_, samples_consumed_,
                               static_cast<int64_t>(train_indices_.size()), draft_tokens_});
}

const DraftHead& Trainer::head() {
  train::unflatten(layout_, params_.data(), head_);
  return head_;
}

}  // namespace eaglerun
