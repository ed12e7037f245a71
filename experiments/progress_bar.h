#pragma once
// The extraction progress line on stderr: sequences, tokens, tokens/s and ETA. On a terminal it is
// redrawn in place a few times a second; in a log file it is printed as a new line every interval.
#include <chrono>
#include <cstdio>
#include <string>

#include "experiments/feature_extraction.h"

namespace eaglerun {

// "[#####.....] 45.2% 1356/3000 seq | 1.02M tok | 812 tok/s | ETA 12m05s" (done counts earlier runs too).
std::string format_progress(const ExtractionProgress& p);
// "1h02m", "12m05s", "42s"; "?" for a negative or non-finite value.
std::string format_duration(double seconds);

class ProgressPrinter {
 public:
  // interactive: redraw one line with '\r'; otherwise print a line every log_interval_seconds.
  ProgressPrinter(std::FILE* out, bool interactive, double log_interval_seconds = 30.0);
  void operator()(const ExtractionProgress& p);

 private:
  std::FILE* out_;
  bool interactive_;
  double interval_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace eaglerun
