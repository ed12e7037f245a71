#pragma once
// A file written as PATH.partial and renamed to PATH only by commit(), after its bytes reached the
// disk (flush, fsync): a crash or an error never leaves a half-written PATH. Without commit() the
// destructor removes the .partial file.
#include <fstream>
#include <string>

namespace eaglerun {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // throws Error when PATH.partial cannot be created
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t n);  // throws Error on a write failure
  uint64_t written() const { return written_; }
  void commit();                                // throws Error when closing, syncing or renaming fails

 private:
  std::string path_, partial_;
  std::ofstream out_;
  uint64_t written_ = 0;
  bool committed_ = false;
};

}  // namespace eaglerun
