#include "ffmpeg_log.h"

#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>

extern "C" {
#include <libavutil/log.h>
}

namespace mexa::io::ffmpeg {
namespace {

void forward(void* object, int level, const char* format, va_list args) {
  if (level > AV_LOG_WARNING) return;  // FFmpeg's info/verbose chatter stays out
  char line[1024];
  int print_prefix = 1;
  av_log_format_line2(object, level, format, args, line, sizeof line, &print_prefix);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (!text.empty()) spdlog::debug("ffmpeg: {}", text);
}

}  // namespace

void install_log_bridge() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(forward); });
}

}  // namespace mexa::io::ffmpeg
