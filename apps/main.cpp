// eaglerun: the command line. Each subcommand lives in its own cmd_*.cpp.
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "apps/cli_common.h"
#include "core/backend/device.h"
#include "core/error.h"

namespace eaglerun::cli {
int run_generate(int argc, char** argv);
int run_bench(int argc, char** argv);
int run_extract(int argc, char** argv);
int run_train(int argc, char** argv);
int run_experiment(int argc, char** argv);
int run_convert(int argc, char** argv);
int run_simulate(int argc, char** argv);
}  // namespace eaglerun::cli

namespace {

void usage(std::ostream& out) {
  out << "usage: eaglerun <command> [options]\n\n"
         "commands:\n"
         "  generate   generate text for a prompt or a JSONL file of prompts\n"
         "  bench      measure prefill and decode speed and memory bandwidth\n"
         "  extract    write target features for draft-head training to HDF5 shards\n"
         "  train      train an EAGLE draft head on extracted features\n"
         "  experiment run an experiment config's cells into HDF5 files (plain vs EAGLE, per step)\n"
         "  convert    convert weights between GGUF, safetensors and pytorch_model.bin, and requantise\n"
         "  simulate   model EAGLE's speed on GPU clusters (hardware profiles, splits, trees; no model runs)\n\n"
         "'eaglerun <command> --help' lists a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  eaglerun::register_cuda_backend();  // --device cuda, where this build has the CUDA backend
  using Command = int (*)(int, char**);
  const std::map<std::string, Command> commands = {
      {"generate", eaglerun::cli::run_generate},
      {"bench", eaglerun::cli::run_bench},
      {"extract", eaglerun::cli::run_extract},
      {"train", eaglerun::cli::run_train},
      {"experiment", eaglerun::cli::run_experiment},
      {"convert", eaglerun::cli::run_convert},
      {"simulate", eaglerun::cli::run_simulate},
  };
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 2 : 0;
  }
  const auto it = commands.find(argv[1]);
  if (it == commands.end()) {
    std::cerr << "eaglerun: error: unknown command '" << argv[1] << "'\n";
    usage(std::cerr);
    return 2;
  }
  try {
    return it->second(argc - 1, argv + 1);
  } catch (const eaglerun::Error& e) {
    const std::string line = eaglerun::cli::error_line(e.what());
    if (!line.empty()) {
      std::cerr << line << std::endl;
    } else {
      // Another rank of the job reports this error (the set-up checks run on every rank); this rank's
      // exit makes mpirun end the job, so give that rank time to print its line first.
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "eaglerun: error: out of memory\n";
    return 1;
  }
}
