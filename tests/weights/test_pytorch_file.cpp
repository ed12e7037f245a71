// PyTorch state dicts (torch.save zip format): files written by torch itself read back exactly
// (data/fixtures/pytorch/, against safetensors copies of the same tensors), and malformed archives
// and pickles built here each refused with one Error naming the problem.
#include <gtest/gtest.h>

#include <cstring>

#include "core/weights/mapped_file.h"
#include "core/weights/pickle_reader.h"
#include "core/weights/pytorch_file.h"
#include "core/weights/safetensors_file.h"
#include "tests/test_paths.h"
#include "tests/weights/torch_zip_writer.h"

namespace eaglerun {
namespace {

using namespace eaglerun::test;

// Every tensor of `expected` is in `got` with the same dtype, shape and bytes, in the same order.
void expect_same_tensors(const PytorchFile& got, const SafetensorsFile& expected) {
  ASSERT_EQ(got.tensors().size(), expected.tensors().size());
  for (const TensorView& e : expected.tensors()) {
    const TensorView* t = got.find(e.name);
    ASSERT_NE(t, nullptr) << e.name;
    EXPECT_EQ(t->dtype, e.dtype) << e.name;
    EXPECT_EQ(t->shape, e.shape) << e.name;
    ASSERT_EQ(t->nbytes, e.nbytes) << e.name;
    EXPECT_EQ(e.nbytes == 0 || std::memcmp(t->data, e.data, e.nbytes) == 0, true) << e.name;
  }
}

TEST(PytorchFile, ReadsATorchSavedHeadExactly) {
  const auto f = PytorchFile::open(fixture("pytorch/head/pytorch_model.bin"));
  const auto want = SafetensorsFile::open(fixture("pytorch/head/expected.safetensors"));
  expect_same_tensors(*f, *want);
  // state_dict() order, as the released heads list their tensors.
  EXPECT_EQ(f->names().front(), "embed_tokens.weight");
  EXPECT_EQ(f->names().back(), "fc.bias");
  EXPECT_EQ(f->find("fc.weight")->shape, (std::vector<int64_t>{64, 128}));
  // Zero-copy: views into the mapping, 64-byte aligned as torch writes them.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f->find("fc.weight")->data) % 64, 0u);
}

TEST(PytorchFile, ReadsMixedDtypesViewsScalarsAndEmptyTensors) {
  const auto f = PytorchFile::open(fixture("pytorch/mixed.bin"));
  const auto want = SafetensorsFile::open(fixture("pytorch/mixed.expected.safetensors"));
  expect_same_tensors(*f, *want);
  EXPECT_EQ(f->find("matrix.bf16")->dtype, DType::BF16);
  EXPECT_EQ(f->find("matrix.f16")->dtype, DType::F16);
  EXPECT_EQ(f->find("scalar")->shape, std::vector<int64_t>{});
  EXPECT_EQ(f->find("empty")->nbytes, 0u);
  // Two views of one storage: 4 and 20 floats into it.
  EXPECT_EQ(f->find("view.second")->data - f->find("view.first")->data, 16 * 4);
  EXPECT_EQ(f->find("zeros.alias")->data, f->find("vector.f32")->data);
}

TEST(PytorchFile, RefusesANonContiguousTensorTorchWrote) {
  EXPECT_ERROR(PytorchFile::open(fixture("pytorch/transposed.bin")), "tensor 'w' is not contiguous",
               "stride (1, 4)");
}

TEST(PytorchFile, RefusesTheLegacyFormat) {
  EXPECT_ERROR(PytorchFile::open(fixture("pytorch/legacy.bin")), "legacy torch.save format");
}

std::unique_ptr<PytorchFile> parse_pytorch(const Bytes& b) { return PytorchFile::parse(as_bytes(b), b.size(), "bad.bin"); }

PickledTensor tensor(const std::string& name = "w") {
  PickledTensor t;
  t.name = name;
  return t;
}

Bytes one_tensor_file(const PickledTensor& t, std::size_t storage_bytes = 24, const ZipOptions& opt = {}) {
  return torch_file(state_dict_pickle({t}), {{t.key, storage_bytes}}, opt);
}

TEST(PytorchFile, ParsesWhatTheTestWriterBuilds) {
  for (bool zip64 : {false, true}) {
    PickledTensor a = tensor("a"), b = tensor("b");
    b.offset = 2, b.size = {4}, b.stride = {1}, b.storage_type = "BFloat16Storage", b.key = "1";
    b.storage_numel = 6;
    const Bytes bytes = torch_file(state_dict_pickle({a, b}), {{"0", 24}, {"1", 12}}, ZipOptions{zip64});
    const auto f = parse_pytorch(bytes);
    ASSERT_EQ(f->names(), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(f->find("a")->nbytes, 24u);
    EXPECT_EQ(f->find("b")->dtype, DType::BF16);
    EXPECT_EQ(f->find("b")->nbytes, 8u);
    EXPECT_EQ(static_cast<uint8_t>(*f->find("b")->data), 4 * 3 + 1);  // byte 4 of storage "1"
  }
}

TEST(PytorchFile, RefusesTruncatedArchives) {
  const Bytes good = one_tensor_file(tensor());
  for (std::size_t n : {std::size_t{0}, std::size_t{10}, good.size() / 2, good.size() - 1}) {
    EXPECT_ERROR(parse_pytorch(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))), "bad.bin: ");
  }
  EXPECT_ERROR(parse_pytorch(Bytes(good.begin(), good.end() - 1)), "no end-of-central-directory record");
}

// The offset of the first central directory header (the last 22 bytes are the end record).
std::size_t central_offset(const Bytes& b) {
  const std::size_t end = b.size() - 22;
  return b[end + 16] | (b[end + 17] << 8) | (b[end + 18] << 16) | (std::size_t{b[end + 19]} << 24);
}

TEST(PytorchFile, RefusesABadCentralDirectory) {
  Bytes b = one_tensor_file(tensor());
  const std::size_t cd = central_offset(b);
  Bytes bad_sig = b;
  bad_sig[cd] = 'X';
  EXPECT_ERROR(parse_pytorch(bad_sig), "central directory entry #0", "bad signature");
  Bytes bad_offset = b;
  bad_offset[b.size() - 22 + 16] ^= 0x40;  // the directory's offset points elsewhere
  EXPECT_ERROR(parse_pytorch(bad_offset), "bad.bin: ");
  Bytes bad_count = b;
  bad_count[b.size() - 22 + 8] = 200, bad_count[b.size() - 22 + 10] = 200;  // more entries than fit
  EXPECT_ERROR(parse_pytorch(bad_count), "cannot hold 200 entries");
  Bytes bad_local = b;
  bad_local[cd + 42] = 7;  // the first entry's local header offset
  EXPECT_ERROR(parse_pytorch(bad_local), "bad local header signature");
}

TEST(PytorchFile, RefusesCompressedAndDuplicateEntries) {
  const Bytes pkl = state_dict_pickle({tensor()});
  EXPECT_ERROR(parse_pytorch(zip_bytes({{"archive/data.pkl", pkl, 8}})), "'archive/data.pkl' is compressed (method 8)");
  EXPECT_ERROR(parse_pytorch(zip_bytes({{"archive/data.pkl", pkl}, {"archive/data.pkl", pkl}})),
               "duplicate ZIP entry 'archive/data.pkl'");
  EXPECT_ERROR(parse_pytorch(zip_bytes({{"archive/other", pkl}})), "no ARCHIVE/data.pkl");
}

TEST(PytorchFile, RefusesAStorageOutOfBounds) {
  PickledTensor t = tensor();
  t.offset = 1;  // elements 1..6 of a 6-element storage
  EXPECT_ERROR(parse_pytorch(one_tensor_file(t)), "tensor 'w': elements [1, +6) are outside its storage of 6 elements");
  t.offset = 0, t.key = "9";
  EXPECT_ERROR(parse_pytorch(torch_file(state_dict_pickle({t}), {{"0", 24}})), "its storage '9' has no entry 'archive/data/9'");
  t.key = "0", t.offset = int64_t{1} << 62, t.storage_numel = int64_t{1} << 62;
  EXPECT_ERROR(parse_pytorch(one_tensor_file(t)), "tensor 'w'");
}

TEST(PytorchFile, RefusesAWrongStorageElementCount) {
  PickledTensor t = tensor();
  t.storage_numel = 7;  // 28 bytes declared, 24 stored
  EXPECT_ERROR(parse_pytorch(one_tensor_file(t)), "declares 7 elements of f32 but its entry holds 24 bytes");
  t.storage_numel = int64_t{1} << 62;  // bytes overflow
  EXPECT_ERROR(parse_pytorch(one_tensor_file(t)), "declares 4611686018427387904 elements");
}

TEST(PytorchFile, RefusesNonContiguousStrides) {
  PickledTensor t = tensor();
  t.stride = {1, 2};
  EXPECT_ERROR(parse_pytorch(one_tensor_file(t)), "tensor 'w' is not contiguous (size (2, 3), stride (1, 2))");
  t.size = {1, 3}, t.stride = {99, 1};  // a size-1 dim may have any stride, as torch.is_contiguous says
  EXPECT_NO_THROW(parse_pytorch(one_tensor_file(t)));
  t.size = {2, 3}, t.stride = {3};
  EXPECT_ERROR(parse_pytorch(one_tensor_file(t)), "size and stride differ in length");
}

Bytes with_pickle(const Bytes& pkl) { return torch_file(pkl, {{"0", 24}}); }

TEST(PytorchFile, RefusesDisallowedGlobals) {
  PickleSink p;
  p.global("os", "system");
  p.str("echo hi"), p.op(0x85), p.op('R'), p.op('.');
  EXPECT_ERROR(parse_pytorch(with_pickle(p.out)), "refusing global 'os.system'");
  PickledTensor t = tensor();
  t.storage_type = "DoubleStorage";
  EXPECT_ERROR(parse_pytorch(one_tensor_file(t)), "unsupported storage type 'torch.DoubleStorage'");
  PickleSink q;
  q.global("torch._utils", "_rebuild_parameter");
  q.op('.');
  EXPECT_ERROR(parse_pytorch(with_pickle(q.out)), "refusing global 'torch._utils._rebuild_parameter'");
}

TEST(PytorchFile, RefusesUnknownOpcodes) {
  PickleSink p;
  p.op(']'), p.op('.');  // EMPTY_LIST
  EXPECT_ERROR(parse_pytorch(with_pickle(p.out)), "unsupported pickle opcode 0x5d ']'");
  PickleSink q;
  q.op(0x95);  // FRAME (protocol 4)
  EXPECT_ERROR(parse_pytorch(with_pickle(q.out)), "unsupported pickle opcode 0x95");
}

TEST(PytorchFile, RefusesMalformedPickles) {
  auto err = [](Bytes pkl) {
    return error_of([&] { read_pickle(reinterpret_cast<const std::byte*>(pkl.data()), pkl.size(), "p"); });
  };
  EXPECT_NE(err({0x80, 2, 't', '.'}).find("no MARK"), std::string::npos);
  EXPECT_NE(err({0x80, 2, 'R', '.'}).find("stack underflow"), std::string::npos);
  EXPECT_NE(err({0x80, 2, 'h', 3, '.'}).find("memo entry 3 was never stored"), std::string::npos);
  EXPECT_NE(err({0x80, 2, '}', '.', 0}).find("1 bytes after STOP"), std::string::npos);
  EXPECT_NE(err({0x80, 2, '}', '}', '.'}).find("STOP with 2 values"), std::string::npos);
  EXPECT_NE(err({0x80, 2, '}'}).find("truncated"), std::string::npos);
  EXPECT_NE(err({0x80, 2, '}', 'q', 0, 'h', 0, 'h', 0, 's', '.'}).find("not a string"), std::string::npos);
  // A dict placed in a tuple is frozen: no cycles through SETITEM.
  EXPECT_NE(err({0x80, 2, '}', 'q', 0, 0x85, 'h', 0, 'X', 1, 0, 0, 0, 'k', 'h', 0, 's', '.'}).find("already inside"),
            std::string::npos);
  Bytes deep{0x80, 2, ')'};
  for (int i = 0; i < 40; ++i) deep.push_back(0x85);
  deep.push_back('.');
  EXPECT_NE(err(deep).find("nested deeper than 32"), std::string::npos);
  // The whole file: data.pkl must be a dict of tensors, with a valid CRC.
  EXPECT_ERROR(parse_pytorch(with_pickle({0x80, 2, 'N', '.'})), "data.pkl holds a None, not a state dict");
  Bytes bad_crc = one_tensor_file(tensor());
  bad_crc[30 + std::strlen("archive/data.pkl") + 5] ^= 1;
  EXPECT_ERROR(parse_pytorch(bad_crc), "data.pkl fails its CRC-32 check");
}

TEST(PytorchFile, RefusesDuplicateNamesAndNonTensorValues) {
  EXPECT_ERROR(parse_pytorch(torch_file(state_dict_pickle({tensor("w"), tensor("w")}), {{"0", 24}})), "duplicate dict key 'w'");
  PickleSink p;
  p.empty_ordered_dict();
  p.str("n"), p.integer(3), p.op('s'), p.op('.');
  EXPECT_ERROR(parse_pytorch(with_pickle(p.out)), "state dict entry 'n' is a int, not a tensor");
}

}  // namespace
}  // namespace eaglerun
