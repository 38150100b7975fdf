#include "mexa/io/failpoint.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <map>
#include <stdexcept>

namespace mexa::io {
namespace {

struct Armed {
  long long at = 0;                 ///< the pass that fires (1-based)
  std::atomic<long long> passes{0};
};

/// Parsed once: point name -> when it fires.
struct Registry {
  std::map<std::string, Armed> points;
  std::string error;  ///< non-empty: MEXA_FAILPOINT is malformed
};

Registry& registry() {
  static Registry r = [] {
    Registry parsed;
    const char* text = std::getenv("MEXA_FAILPOINT");
    if (!text || !*text) return parsed;
    std::string spec(text);
    size_t begin = 0;
    while (begin <= spec.size()) {
      const size_t end = std::min(spec.find(',', begin), spec.size());
      const std::string item = spec.substr(begin, end - begin);
      const size_t colon = item.find(':');
      const std::string name = item.substr(0, colon);
      const auto& known = failpoint_names();
      long long at = 0;
      try {
        size_t used = 0;
        if (colon != std::string::npos) at = std::stoll(item.substr(colon + 1), &used);
        if (colon == std::string::npos || used != item.size() - colon - 1) at = 0;
      } catch (const std::exception&) {
        at = 0;
      }
      if (std::find(known.begin(), known.end(), name) == known.end() || at < 1) {
        parsed.error = "MEXA_FAILPOINT: '" + item + "' is not NAME:N with N >= 1 and NAME one of the known points";
        return parsed;
      }
      if (parsed.points.count(name)) {
        parsed.error = "MEXA_FAILPOINT: '" + name + "' is given twice";
        return parsed;
      }
      parsed.points[name].at = at;
      begin = end + 1;
    }
    return parsed;
  }();
  return r;
}

}  // namespace

const std::vector<std::string>& failpoint_names() {
  static const std::vector<std::string> names{"kill-mid-batch", "kill-before-commit", "kill-after-commit",
                                              "interrupt-after-commit", "throw-in-analysis",
                                              "kill-in-training-step"};
  return names;
}

void check_failpoints() {
  if (const Registry& r = registry(); !r.error.empty()) throw std::invalid_argument(r.error);
}

void failpoint(const char* name) {
  Registry& r = registry();
  if (!r.error.empty()) throw std::invalid_argument(r.error);
  if (r.points.empty()) return;
  const auto it = r.points.find(name);
  if (it == r.points.end()) return;
  if (++it->second.passes != it->second.at) return;
  const std::string point(name);
  if (point.rfind("throw-", 0) == 0) throw std::logic_error("failpoint " + point + " (MEXA_FAILPOINT)");
  std::raise(point.rfind("kill-", 0) == 0 ? SIGKILL : SIGINT);
}

}  // namespace mexa::io
