#pragma once
// Pieces shared by the subcommands: model options, prompt files, flag parsing with clear errors.
#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "core/runtime/engine.h"

namespace eaglerun::cli {

namespace po = boost::program_options;

// --model, --tokenizer, --threads, --precision, --chat-format into `options`.
void add_engine_options(po::options_description& desc, EngineOptions& options, std::string& precision);
// Resolves "default" paths and the precision name; throws Error for an unknown precision.
// --device (generate, bench): EngineOptions::device.
void add_device_option(po::options_description& desc, EngineOptions& options);
void finish_engine_options(EngineOptions& options, const std::string& precision);

// Parses argv of one subcommand. Returns false when --help was printed.
bool parse_args(const std::string& command, int argc, char** argv, const po::options_description& desc,
                po::variables_map& vm);

// Errors before a job is set up (flags, files, a split that does not fit) are the same on every
// rank of an MPI job, so only rank 0 reports them; once the ranks have agreed on their set-up, a
// rank's error is its own and every rank reports its own, naming itself.
void report_errors_on_every_rank();
// The line main() prints for an error on this rank, or "" when another rank reports it.
std::string error_line(const std::string& message);

struct Prompt {
  std::string id;    // question_id from the file, or "0" for --prompt
  std::string text;  // the first user turn
};

// EAGLE question format: one JSON object per line with "question_id" and "turns" (first turn is used).
// Throws Error naming the file and line for anything malformed.
std::vector<Prompt> read_prompts_jsonl(const std::string& path, int64_t limit = -1);

}  // namespace eaglerun::cli
