#include "experiments/progress_bar.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

namespace eaglerun {
namespace {

std::string count_text(double n) {
  if (n >= 1e9) return fmt::format("{:.2f}G", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.2f}M", n / 1e6);
  if (n >= 1e4) return fmt::format("{:.1f}k", n / 1e3);
  return fmt::format("{:.0f}", n);
}

std::string bar(double fraction, int width) {
  const int filled = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * width));
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::lround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

std::string format_progress(const ExtractionProgress& p) {
  const int64_t done = p.done_before + p.processed;
  const double fraction = p.total > 0 ? static_cast<double>(done) / static_cast<double>(p.total) : 1.0;
  const double tokens_per_second = p.seconds > 0 ? static_cast<double>(p.tokens) / p.seconds : 0.0;
  const double eta = p.processed > 0 ? p.seconds / static_cast<double>(p.processed) * static_cast<double>(p.remaining())
                                     : -1.0;
  std::string line = fmt::format("{} {:5.1f}% {}/{} seq | {} tok | {:.0f} tok/s | ETA {}", bar(fraction, 20),
                                 100.0 * fraction, done, p.total, count_text(static_cast<double>(p.tokens)),
                                 tokens_per_second, p.finished ? "0s" : format_duration(eta));
  if (p.skipped > 0) line += fmt::format(" | skipped {}", p.skipped);
  return line;
}

ProgressPrinter::ProgressPrinter(std::FILE* out, bool interactive, double log_interval_seconds)
    : out_(out), interactive_(interactive), interval_(interactive ? 0.2 : log_interval_seconds) {}

void ProgressPrinter::operator()(const ExtractionProgress& p) {
  const auto now = std::chrono::steady_clock::now();
  if (!p.finished && std::chrono::duration<double>(now - last_).count() < interval_) return;
  last_ = now;
  const std::string line = format_progress(p);
  if (interactive_) {
    std::fprintf(out_, "\r%s\x1b[K%s", line.c_str(), p.finished ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace eaglerun
