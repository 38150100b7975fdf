// io::VideoWriter: encodes frames with libavcodec into a video file —
// h264 (libx264, yuv420p) in MP4 or FFV1 (lossless) in Matroska. Output is
// byte-for-byte deterministic for the same frames (single-threaded encoder,
// bitexact muxing), so generated datasets can be checked by hash.
//
// Not thread-safe. finish() drains the encoder and writes the trailer; a
// writer destroyed without finish() removes its partial file.
//
//   mexa::io::VideoWriter out("clip.mp4", {.codec = mexa::io::VideoCodec::H264,
//                                          .width = 128, .height = 128, .fps = 200});
//   out.write(bgr.data, bgr.step);   // packed BGR24 rows
//   out.finish();
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace mexa::io {

enum class VideoCodec { H264, Ffv1 };

struct VideoWriterOptions {
  VideoCodec codec = VideoCodec::H264;
  int width = 0;
  int height = 0;
  int fps = 200;     ///< frames per second (time base 1/fps)
  int crf = 18;      ///< h264 quality (lower = better); ignored for FFV1
  bool gray = false; ///< input rows are gray8 instead of bgr24
};

class VideoWriter {
 public:
  /// Opens the file and the encoder; throws DecodeError naming the file.
  VideoWriter(const std::string& path, VideoWriterOptions options);
  ~VideoWriter();
  VideoWriter(VideoWriter&&) noexcept;
  VideoWriter& operator=(VideoWriter&&) noexcept;

  /// Encodes one frame: `height` rows of `width` pixels (bgr24 or gray8),
  /// `stride` bytes apart.
  void write(const uint8_t* pixels, size_t stride);
  /// Drains the encoder, writes the trailer and closes the file.
  void finish();
  int64_t frames_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// File extension that matches the codec's container: ".mp4" or ".mkv".
std::string container_extension(VideoCodec codec);

}  // namespace mexa::io
