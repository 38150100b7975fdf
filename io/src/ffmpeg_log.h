// Routes FFmpeg's own log lines (av_log) into spdlog at debug level, so the
// terminal shows mexa's messages (which name the file) unless --log-level debug.
#pragma once

namespace mexa::io::ffmpeg {

/// Installs the bridge once per process; later calls do nothing. Thread-safe.
void install_log_bridge();

}  // namespace mexa::io::ffmpeg
