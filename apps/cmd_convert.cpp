// eaglerun convert: weights from GGUF, Hugging Face safetensors or torch.save files to GGUF or a
// safetensors folder, stored as another type (core/convert/convert.h has the rules).
#include <fmt/core.h>

#include <iostream>
#include <sstream>

#include "apps/cli_common.h"
#include "core/convert/convert.h"
#include "core/error.h"

namespace eaglerun::cli {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int run_convert(int argc, char** argv) {
  ConvertOptions o;
  std::string type, keep;
  po::options_description desc("convert options");
  desc.add_options()
      ("in", po::value(&o.in)->required(), "a .gguf file, a Hugging Face folder (config.json + *.safetensors), or a "
                                           "pytorch_model.bin (or its folder) with config.json beside it")
      ("out", po::value(&o.out)->required(), "FILE.gguf, or a folder for config.json + model.safetensors")
      ("type", po::value(&type)->required(), "F32, F16, BF16, Q8_0, Q4_0 or Q4_1 (quantised types: GGUF only); "
                                             "1-D tensors stay F32")
      ("keep-type-of", po::value(&keep)->default_value(""),
       "comma list of tensors that keep their input type: norms, embedding, output, or any part of a tensor name")
      ("tokenizer", po::value(&o.tokenizer_gguf)->default_value(""),
       "GGUF output from a non-GGUF input: a .gguf whose tokenizer.* keys to copy");
  po::variables_map vm;
  if (!parse_args("convert", argc, argv, desc, vm)) return 0;
  o.type = parse_convert_type(type);
  o.keep_type_of = split_commas(keep);
  const ConvertReport r = convert_weights(o);
  std::string types;
  for (const auto& [name, n] : r.types) types += fmt::format("{}{} {}", types.empty() ? "" : ", ", n, name);
  std::cerr << fmt::format("convert: {} ({}) -> {} ({}): {} tensors ({}), {:.1f} MB of tensor data\n", o.in,
                           r.input_kind, o.out, r.output_format,
                           [&] {
                             int64_t n = 0;
                             for (const auto& [k, v] : r.types) n += v;
                             return n;
                           }(),
                           types, static_cast<double>(r.bytes) / 1e6);
  for (const std::string& note : r.notes) std::cerr << "convert: note: " << note << "\n";
  return 0;
}

}  // namespace eaglerun::cli
