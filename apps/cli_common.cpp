#include "apps/cli_common.h"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "parallel/world.h"

namespace eaglerun::cli {
namespace {
bool every_rank_reports = false;
}  // namespace

void report_errors_on_every_rank() { every_rank_reports = true; }

std::string error_line(const std::string& message) {
  const LaunchEnvironment env = launch_environment();
  if (!env.found || env.size == 1) return "eaglerun: error: " + message;
  if (env.rank != 0 && !every_rank_reports) return "";
  return "eaglerun: rank " + std::to_string(env.rank) + ": error: " + message;
}

void add_engine_options(po::options_description& desc, EngineOptions& options, std::string& precision) {
  desc.add_options()
      ("model", po::value(&options.model_path)->default_value("default"),
       "model: a .gguf file or a Hugging Face checkpoint folder (config.json + *.safetensors); "
       "'default' is SmolLM2-135M-Instruct fetched by data/fetch_model.sh")
      ("tokenizer", po::value(&options.tokenizer_path),
       "the tokenizer, when the model folder has none: a .gguf file or a folder with tokenizer.model")
      ("threads", po::value(&options.threads)->default_value(2), "worker threads")
      ("precision", po::value(&precision)->default_value("fast"),
       "fast (native quantised kernels) or reference (fp32 ground truth)")
      ("chat-format", po::value(&options.chat_format)->default_value("auto"),
       "auto, chatml, llama2, vicuna, mixtral or none");
}

void add_device_option(po::options_description& desc, EngineOptions& options) {
  desc.add_options()("device", po::value(&options.device)->default_value("cpu"),
                     "where the target runs: cpu, cuda (GPU 0) or cuda:N");
}

void finish_engine_options(EngineOptions& options, const std::string& precision) {
  if (options.model_path == "default") options.model_path = default_model_path();
  if (options.tokenizer_path == "default") options.tokenizer_path = default_model_path();
  if (precision == "fast") {
    options.precision = Precision::Fast;
  } else if (precision == "reference") {
    options.precision = Precision::Reference;
  } else {
    throw Error("--precision must be 'fast' or 'reference', not '" + precision + "'");
  }
}

bool parse_args(const std::string& command, int argc, char** argv, const po::options_description& desc,
                po::variables_map& vm) {
  po::options_description all(desc);
  all.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(argc, argv).options(all).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: eaglerun " << command << " [options]\n\n" << all << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw Error(std::string(e.what()) + " (see 'eaglerun " + command + " --help')");
  }
  return true;
}

std::vector<Prompt> read_prompts_jsonl(const std::string& path, int64_t limit) {
  std::ifstream in(path);
  require(in.good(), "cannot open prompts file '" + path + "'");
  std::vector<Prompt> prompts;
  std::string line;
  for (int64_t line_no = 1; std::getline(in, line) && (limit < 0 || (int64_t)prompts.size() < limit); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(where + ": invalid JSON: " + e.what());
    }
    require(j.is_object() && j.contains("turns") && j["turns"].is_array() && !j["turns"].empty() &&
                j["turns"][0].is_string(),
            where + ": expected an object with a non-empty \"turns\" array of strings");
    Prompt p;
    const auto& id = j.value("question_id", nlohmann::json(prompts.size()));
    p.id = id.is_string() ? id.get<std::string>() : id.dump();
    p.text = j["turns"][0].get<std::string>();
    prompts.push_back(std::move(p));
  }
  require(!prompts.empty(), "prompts file '" + path + "' holds no prompts");
  return prompts;
}

}  // namespace eaglerun::cli
