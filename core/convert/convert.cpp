#include "core/convert/convert.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "core/convert/model_metadata.h"
#include "core/convert/tensor_names.h"
#include "core/error.h"
#include "core/kernels/matmul.h"
#include "core/weights/atomic_file.h"
#include "core/weights/gguf_file.h"
#include "core/weights/gguf_writer.h"
#include "core/weights/pytorch_file.h"
#include "core/weights/safetensors_model.h"
#include "core/weights/safetensors_writer.h"
#include "core/weights/text_file.h"

namespace eaglerun {
namespace {

namespace fs = std::filesystem;

// The input: its tensors in file order and what is known about the model.
struct Source {
  std::string path;
  std::string kind;  // "gguf", "hf", "head"
  std::vector<TensorView> tensors;
  std::unique_ptr<GgufFile> gguf;
  std::unique_ptr<SafetensorsModel> safetensors;
  std::unique_ptr<PytorchFile> torch;
  std::string config_path;  // config.json (hf, head)

  ModelConfig config() const {
    if (gguf) return gguf->config();
    return parse_hf_config(read_text_file(config_path), config_path);
  }
};

bool has_magic(const std::string& path, const char* magic, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  return in.read(head.data(), static_cast<std::streamsize>(n)) && std::memcmp(head.data(), magic, n) == 0;
}

std::string config_beside(const fs::path& file) {
  const fs::path c = file.parent_path() / "config.json";
  require(fs::is_regular_file(c), file.string() + ": no config.json beside it (the model's or head's config is needed)");
  return c.string();
}

void open_torch(Source& s, const std::string& file) {
  s.config_path = config_beside(file);
  s.torch = PytorchFile::open(file);
  s.tensors = s.torch->tensors();
}

void open_safetensors(Source& s, std::unique_ptr<SafetensorsModel> m, const std::string& config) {
  s.config_path = config;
  s.safetensors = std::move(m);
  for (const std::string& name : s.safetensors->names()) s.tensors.push_back(*s.safetensors->find(name));
}

Source open_source(const std::string& in) {
  Source s;
  s.path = in;
  std::error_code ec;
  const fs::path p(in);
  require(fs::exists(p, ec), "input '" + in + "' does not exist");
  if (fs::is_directory(p)) {
    const bool st = fs::exists(p / "model.safetensors") || fs::exists(p / "model.safetensors.index.json");
    if (st) {
      open_safetensors(s, SafetensorsModel::open_dir(in), (p / "config.json").string());
    } else if (fs::exists(p / "pytorch_model.bin")) {
      open_torch(s, (p / "pytorch_model.bin").string());
    } else {
      throw Error(in + ": neither model.safetensors(.index.json) nor pytorch_model.bin in the folder");
    }
  } else if (has_magic(in, "GGUF", 4)) {
    s.gguf = GgufFile::open(in);
    s.tensors = s.gguf->tensors();
    s.kind = "gguf";
    return s;
  } else if (p.extension() == ".safetensors") {
    const std::string config = config_beside(p);
    open_safetensors(s, SafetensorsModel::open_files(in, config), config);
  } else if (has_magic(in, "PK\x03\x04", 4) || has_magic(in, "\x80\x02\x8a\x0a", 4)) {
    open_torch(s, in);
  } else {
    throw Error(in + ": not a GGUF, safetensors or torch.save file, nor a folder holding one");
  }
  const auto is = [&](auto pred) { return std::any_of(s.tensors.begin(), s.tensors.end(), pred); };
  if (is([](const TensorView& t) { return t.name.rfind("model.", 0) == 0 || t.name == "lm_head.weight"; })) {
    s.kind = "hf";
  } else if (is([](const TensorView& t) { return t.name == "fc.weight"; })) {
    s.kind = "head";
  } else {
    throw Error(in + ": neither a Llama/Mixtral checkpoint (model.* tensors) nor an EAGLE head (fc.weight)");
  }
  return s;
}

// One output tensor: where its rows come from and how it is stored.
struct Planned {
  std::string name;
  TensorView in;
  DType out = DType::F32;
  std::vector<int64_t> rows;  // output row r is input row rows[r]; empty: the same order
};

bool is_embedding(const std::string& n) {
  return n == "token_embd.weight" || n == "model.embed_tokens.weight" || n == "embed_tokens.weight";
}
bool is_output(const std::string& n) { return n == "output.weight" || n == "lm_head.weight"; }

bool kept(const std::vector<std::string>& keep, const TensorView& t, const std::string& out_name) {
  for (const std::string& k : keep) {
    if (k == "norms" ? t.shape.size() <= 1
        : k == "embedding" ? is_embedding(t.name)
        : k == "output"    ? is_output(t.name)
                           : (t.name.find(k) != std::string::npos || out_name.find(k) != std::string::npos)) {
      return true;
    }
  }
  return false;
}

class Planner {
 public:
  Planner(const ConvertOptions& o, bool gguf_out, ConvertReport& report)
      : o_(o), gguf_out_(gguf_out), report_(report) {}

  void add(std::string name, const TensorView& in, std::vector<int64_t> rows = {}) {
    Planned p{std::move(name), in, DType::F32, std::move(rows)};
    if (kept(o_.keep_type_of, in, p.name)) {
      p.out = in.dtype;
      if (!gguf_out_ && is_quantised(in.dtype)) {
        p.out = DType::F32;
        ++widened_;
      }
      ++kept_;
    } else if (in.shape.size() >= 2) {
      p.out = o_.type;
      if (is_quantised(o_.type) && in.cols() % dtype_info(o_.type).block_elems != 0) {
        p.out = DType::F16;
        ++off_grid_;
      }
    }
    ++report_.types[std::string(dtype_info(p.out).name)];
    planned.push_back(std::move(p));
  }

  void finish_notes() {
    const std::string t(dtype_info(o_.type).name);
    if (off_grid_) {
      report_.notes.push_back(std::to_string(off_grid_) + " tensor(s) have rows that are not a multiple of 32 elements: "
                              "stored as f16 instead of " + t);
    }
    if (kept_) report_.notes.push_back(std::to_string(kept_) + " tensor(s) keep their input type (--keep-type-of)");
    if (widened_) {
      report_.notes.push_back(std::to_string(widened_) + " kept tensor(s) were quantised: stored as f32 (safetensors "
                              "holds f32, f16 and bf16 only)");
    }
  }

  std::vector<Planned> planned;

 private:
  const ConvertOptions& o_;
  bool gguf_out_;
  ConvertReport& report_;
  int64_t off_grid_ = 0, kept_ = 0, widened_ = 0;
};

// Row r of a stacked [E, rows, cols] GGUF expert tensor's slice e.
TensorView expert_slice(const TensorView& stacked, int64_t e) {
  TensorView v = stacked;
  v.shape = {stacked.shape[1], stacked.shape[2]};
  v.nbytes = stacked.nbytes / static_cast<std::size_t>(stacked.shape[0]);
  v.data = stacked.data + static_cast<std::size_t>(e) * v.nbytes;
  return v;
}

std::vector<int64_t> qk_order(const std::string& name, const TensorView& t, const ModelConfig& c, bool to_gguf) {
  const QkRows which = qk_rows_of(name);
  if (which == QkRows::None) return {};
  return qk_row_order(t.shape.empty() ? 0 : t.shape[0], which == QkRows::Q ? c.n_heads : c.n_kv_heads, to_gguf);
}

void plan(const Source& s, bool gguf_out, Planner& p) {
  const bool renaming = gguf_out != (s.kind == "gguf");
  if (!renaming) {
    for (const TensorView& t : s.tensors) p.add(t.name, t);
    return;
  }
  const ModelConfig c = s.config();
  for (const TensorView& t : s.tensors) {
    if (gguf_out) {
      const auto name = gguf_name_of(t.name);
      require(name.has_value(), s.path + ": tensor '" + t.name + "' has no GGUF name (Llama/Mixtral tensors only)");
      p.add(*name, t, qk_order(t.name, t, c, true));
    } else if (const auto name = hf_name_of(t.name)) {
      p.add(*name, t, qk_order(t.name, t, c, false));
    } else if (hf_expert_name(t.name, 0) && t.shape.size() == 3) {
      for (int64_t e = 0; e < t.shape[0]; ++e) p.add(*hf_expert_name(t.name, e), expert_slice(t, e));
    } else {
      throw Error(s.path + ": tensor '" + t.name + "' has no Hugging Face name (Llama/Mixtral tensors only)");
    }
  }
}

// Fills `out` with p's rows in p.out: copied when the type is unchanged, else through fp32.
void produce(const Planned& p, std::vector<std::byte>& out) {
  const TensorView& in = p.in;
  const int64_t rows = in.rows(), cols = in.cols();
  if (rows == 0) return;
  const std::size_t in_row = in.row_bytes(), out_row = storage_bytes(p.out, cols);
  std::vector<float> row(p.out == in.dtype ? 0 : static_cast<std::size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    const std::byte* src = in.row(p.rows.empty() ? r : p.rows[static_cast<std::size_t>(r)]);
    std::byte* dst = out.data() + static_cast<std::size_t>(r) * out_row;
    if (p.out == in.dtype) {
      std::memcpy(dst, src, in_row);
    } else {
      dequantize(in.dtype, src, cols, row.data());
      encode(p.out, row.data(), cols, dst);
    }
  }
}

void write_text_atomically(const std::string& path, const std::string& text) {
  AtomicFile f(path);
  f.write(text.data(), text.size());
  f.commit();
}

void write_gguf(const Source& s, const ConvertOptions& o, const std::vector<Planned>& planned, ConvertReport& r) {
  GgufWriter w(s.gguf ? s.gguf->alignment() : 32);
  if (s.gguf) {
    for (const std::string& key : s.gguf->metadata().keys()) {
      if (key != "general.alignment") w.set(key, *s.gguf->metadata().find(key));
    }
  } else {
    write_gguf_config(s.config(), w);
    if (!o.tokenizer_gguf.empty()) {
      const auto tok = GgufFile::open(o.tokenizer_gguf);
      int copied = 0;
      for (const std::string& key : tok->metadata().keys()) {
        if (key.rfind("tokenizer.", 0) == 0) w.set(key, *tok->metadata().find(key)), ++copied;
      }
      require(copied > 0, o.tokenizer_gguf + ": no tokenizer.* keys to copy");
      r.notes.push_back("tokenizer: " + std::to_string(copied) + " tokenizer.* keys from " + o.tokenizer_gguf);
    } else {
      r.notes.push_back("the output has no tokenizer (the input's is not in a form eaglerun reads): run it with "
                        "--tokenizer, or convert again with --tokenizer FILE.gguf");
    }
  }
  w.set_u32("general.file_type", gguf_file_type(o.type));
  for (const Planned& p : planned) w.add_tensor(p.name, p.out, p.in.shape);
  w.write(o.out, [&](std::size_t i, std::vector<std::byte>& bytes) {
    produce(planned[i], bytes);
    r.bytes += bytes.size();
  });
}

void write_safetensors_folder(const Source& s, const ConvertOptions& o, const std::vector<Planned>& planned,
                              ConvertReport& r) {
  const fs::path dir(o.out);
  std::error_code ec;
  require(!fs::exists(dir, ec) || fs::is_directory(dir), o.out + " exists and is not a folder");
  fs::create_directories(dir, ec);
  require(!ec, "cannot create the folder '" + o.out + "': " + ec.message());
  std::vector<StreamedTensor> tensors;
  for (const Planned& p : planned) tensors.push_back({p.name, p.out, p.in.shape});
  const std::string config = s.gguf ? hf_config_json(s.config()) : read_text_file(s.config_path);
  write_safetensors((dir / "model.safetensors").string(), tensors, [&](std::size_t i, std::vector<std::byte>& bytes) {
    produce(planned[i], bytes);
    r.bytes += bytes.size();
  });
  write_text_atomically((dir / "config.json").string(), config);
  if (s.gguf) r.notes.push_back("the tokenizer stays in the GGUF: run the folder with --tokenizer " + s.path);
}

}  // namespace

DType parse_convert_type(const std::string& name) {
  std::string u = name;
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (DType t : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1}) {
    std::string n(dtype_info(t).name);
    for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (n == u) return t;
  }
  throw Error("unknown --type '" + name + "' (F32, F16, BF16, Q8_0, Q4_0, Q4_1)");
}

ConvertReport convert_weights(const ConvertOptions& o) {
  require(!o.in.empty() && !o.out.empty(), "convert needs --in and --out");
  const bool gguf_out = fs::path(o.out).extension() == ".gguf";
  require(gguf_out || !is_quantised(o.type), "--type " + std::string(dtype_info(o.type).name) +
                                                 " needs a GGUF output (OUT ending in .gguf): safetensors holds "
                                                 "F32, F16 and BF16 only");
  std::error_code ec;
  require(!fs::equivalent(o.in, o.out, ec), "--out is the input itself");
  const Source s = open_source(o.in);
  require(!(gguf_out && s.kind == "head"),
          o.in + ": an EAGLE head converts to a safetensors folder only (OUT must not end in .gguf)");
  ConvertReport r;
  r.input_kind = s.kind;
  r.output_format = gguf_out ? "gguf" : "safetensors";
  Planner planner(o, gguf_out, r);
  plan(s, gguf_out, planner);
  planner.finish_notes();
  if (gguf_out) {
    write_gguf(s, o, planner.planned, r);
  } else {
    write_safetensors_folder(s, o, planner.planned, r);
  }
  return r;
}

}  // namespace eaglerun
