#include "core/train/trainer_config.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace eaglerun {
namespace {

// Calls f(name, field) for every field; one list keeps to_json and from_json in step.
template <typename Config, typename F>
void for_each_field(Config& c, F&& f) {
  f("lr", c.lr);
  f("warmup_steps", c.warmup_steps);
  f("total_steps", c.total_steps);
  f("schedule", c.schedule);
  f("beta1", c.beta1);
  f("beta2", c.beta2);
  f("eps", c.eps);
  f("weight_decay", c.weight_decay);
  f("clip_value", c.clip_value);
  f("clip_norm", c.clip_norm);
  f("batch_sequences", c.batch_sequences);
  f("max_seq_len", c.max_seq_len);
  f("feature_noise", c.feature_noise);
  f("noise_reference_len", c.noise_reference_len);
  f("tap_dropout", c.tap_dropout);
  f("seed", c.seed);
  f("feature_loss_weight", c.feature_loss_weight);
  f("token_loss_weight", c.token_loss_weight);
  f("draft_vocab", c.draft_vocab);
  f("rollout_depths", c.rollout_depths);
  f("rollout_decay", c.rollout_decay);
  f("checkpoint_every", c.checkpoint_every);
  f("checkpoint_dir", c.checkpoint_dir);
  f("validate_every", c.validate_every);
  f("validation_fraction", c.validation_fraction);
  f("validation_sequences", c.validation_sequences);
  f("validation_depths", c.validation_depths);
}

}  // namespace

void TrainerConfig::validate() const {
  require(lr > 0, "trainer: lr must be positive");
  require(warmup_steps >= 0, "trainer: warmup_steps must be >= 0");
  require(total_steps > 0, "trainer: total_steps must be positive");
  require(schedule == "linear" || schedule == "cosine" || schedule == "constant",
          "trainer: schedule must be linear, cosine or constant, got '" + schedule + "'");
  require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "trainer: betas must be in [0, 1)");
  require(eps > 0, "trainer: eps must be positive");
  require(weight_decay >= 0 && clip_value >= 0 && clip_norm >= 0,
          "trainer: weight_decay, clip_value and clip_norm must be >= 0");
  require(batch_sequences > 0, "trainer: batch_sequences must be positive");
  require(max_seq_len >= 2, "trainer: max_seq_len must be at least 2");
  require(feature_noise >= 0 && noise_reference_len >= 0, "trainer: feature_noise and noise_reference_len must be >= 0");
  require(tap_dropout >= 0 && tap_dropout <= 1, "trainer: tap_dropout must be in [0, 1]");
  require(feature_loss_weight >= 0 && token_loss_weight >= 0, "trainer: loss weights must be >= 0");
  require(draft_vocab >= 0, "trainer: draft_vocab must be >= 0 (0 = the whole vocabulary)");
  require(rollout_depths >= 1, "trainer: rollout_depths must be >= 1 (1 = depth 0 only)");
  require(rollout_decay >= 0, "trainer: rollout_decay must be >= 0");
  require(checkpoint_every >= 0 && validate_every >= 0, "trainer: checkpoint_every and validate_every must be >= 0");
  require(checkpoint_every == 0 || !checkpoint_dir.empty(), "trainer: checkpoint_every needs a checkpoint_dir");
  require(validation_fraction >= 0 && validation_fraction < 1, "trainer: validation_fraction must be in [0, 1)");
  require(validation_sequences >= 0, "trainer: validation_sequences must be >= 0");
  require(validation_depths >= 1, "trainer: validation_depths must be >= 1");
}

std::string TrainerConfig::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for_each_field(*this, [&](const char* name, const auto& field) { j[name] = field; });
  j["inputs"] = std::string(draft_inputs_name(inputs));
  return j.dump(2) + "\n";
}

TrainerConfig TrainerConfig::from_json(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": invalid JSON: " + e.what());
  }
  require(j.is_object(), source + ": expected a JSON object");
  TrainerConfig c;
  nlohmann::json known = nlohmann::json::object();
  for_each_field(c, [&](const char* name, auto& field) {
    known[name] = true;
    if (!j.contains(name)) return;
    try {
      field = j[name].get<std::decay_t<decltype(field)>>();
    } catch (const nlohmann::json::exception&) {
      throw Error(source + ": key '" + name + "' has the wrong type");
    }
  });
  if (j.contains("inputs")) {
    require(j["inputs"].is_string(), source + ": key 'inputs' must be a string");
    try {
      c.inputs = parse_draft_inputs(j["inputs"].get<std::string>());
    } catch (const Error& e) {
      throw Error(source + ": " + e.what());
    }
  }
  for (const auto& item : j.items()) {
    require(known.contains(item.key()) || item.key() == "inputs", source + ": unknown key '" + item.key() + "'");
  }
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(source + ": " + e.what());
  }
  return c;
}

}  // namespace eaglerun
