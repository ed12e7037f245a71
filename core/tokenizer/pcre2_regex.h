#pragma once
// A compiled PCRE2 pattern in UTF + UCP mode (so \p{L}, \p{N}, \s follow Unicode properties),
// JIT-compiled when the platform supports it. Immutable after construction; safe to share across threads.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace eaglerun {

class Pcre2Regex {
 public:
  // Throws Error with PCRE2's message when pattern does not compile.
  explicit Pcre2Regex(const std::string& pattern);
  ~Pcre2Regex();
  Pcre2Regex(const Pcre2Regex&) = delete;
  Pcre2Regex& operator=(const Pcre2Regex&) = delete;

  // Per-thread scratch for find(); create one per call site or thread.
  class Scratch {
   public:
    explicit Scratch(const Pcre2Regex& re);
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;

   private:
    friend class Pcre2Regex;
    void* data_;
  };

  // Leftmost match in text starting at or after byte offset start (lookarounds see all of text).
  // On success sets [begin, end) and returns true. text must be valid UTF-8 (not re-checked).
  bool find(std::string_view text, size_t start, Scratch& scratch, size_t& begin, size_t& end) const;

 private:
  void* code_;
};

}  // namespace eaglerun
