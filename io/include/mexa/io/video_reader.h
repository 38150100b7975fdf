// io::VideoReader: FFmpeg demux + decode of a video file or a frame folder, with
// exact frame indices (frame i is the i-th frame in presentation order),
// per-frame timestamps in seconds, optional conversion to gray8/rgb24 and
// resizing (swscale), optional frame range [first, last] and threaded decoding.
//
// Not thread-safe: one reader per thread. Frames own their pixels (reference
// counted FFmpeg buffers) and stay valid after the reader moves on.
//
//   mexa::io::VideoReader reader("clip.mp4", {.pixel_format = mexa::io::PixelFormat::Gray8});
//   mexa::io::Frame frame;
//   while (reader.next(frame)) use(frame.index(), frame.time_s(), frame.data(0), frame.stride(0));
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct AVFrame;

namespace mexa::io {

enum class PixelFormat {
  Native,  ///< what the decoder produces (yuv420p, rgb24, ...), no conversion
  Gray8,
  Rgb24,
};

struct VideoReaderOptions {
  PixelFormat pixel_format = PixelFormat::Native;
  int width = 0;               ///< output size; 0 x 0 keeps the native size
  int height = 0;
  int64_t first_frame = 0;     ///< first frame to return (0-based, presentation order)
  int64_t last_frame = -1;     ///< last frame to return, inclusive; -1: to the end
  int threads = 0;             ///< decoder threads (frame + slice); 0: 1 for frames up to 320x240, else one per core
  double frame_folder_fps = 0; ///< frame rate given to image2 for folders; 0: FFmpeg's default (25)
  /// Frames with more pixels are refused (DecodeError), whether a header
  /// declares them or a frame arrives that large: a damaged or hostile header
  /// must not make the decoder allocate gigabytes. 0: FFmpeg's own limit.
  int64_t max_pixels = 8192LL * 8192;
  /// Frames narrower or lower than this are refused: no face fits (a 1x1
  /// "video"). probe sets 1 to describe any file.
  int min_side = 8;
  /// Applies the stream's display matrix (a phone video stored sideways)
  /// to Gray8/Rgb24 output, as FFmpeg's CLI does; Native output is returned
  /// as stored (StreamInfo::rotation says how to turn it).
  bool autorotate = true;
};

/// Bytes in memory to decode instead of a file (a custom AVIOContext; the
/// bytes must outlive the reader). `name` stands for the file in messages.
struct MemoryInput {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::string name = "memory";
};

struct Rational {
  int num = 0;
  int den = 1;
  double value() const { return den == 0 ? 0.0 : static_cast<double>(num) / den; }
};

/// What the container and codec declare, before any frame is decoded.
struct StreamInfo {
  std::string source;            ///< the path as given
  std::string ffmpeg_url;        ///< what FFmpeg opened (a %d pattern for folders)
  bool frame_folder = false;
  std::string container;         ///< demuxer name (mov,mp4,..., avi, image2)
  std::string codec;             ///< decoder name
  int width = 0;                 ///< as stored: Gray8/Rgb24 frames of a quarter-turn `rotation` come transposed
  int height = 0;
  std::string pixel_format;      ///< native pixel format name, e.g. yuv420p
  Rational avg_frame_rate;       ///< average frame rate (0/1 when unknown)
  Rational real_frame_rate;      ///< FFmpeg's r_frame_rate (lowest rate all timestamps fit)
  Rational time_base;            ///< stream time base of pts/dts/duration
  double duration_s = -1;        ///< container or stream duration; -1 when unknown
  int64_t declared_frames = -1;  ///< frame count the container declares; -1 when unknown
  int stream_index = -1;
  int rotation = 0;              ///< clockwise degrees (0, 90, 180, 270) the display matrix turns frames by
  bool rotated = false;          ///< Gray8/Rgb24 frames come turned by `rotation` (autorotate)
};

/// One decoded (and possibly converted) frame. Move-only; owns its buffers.
class Frame {
 public:
  Frame();
  ~Frame();
  Frame(Frame&&) noexcept;
  Frame& operator=(Frame&&) noexcept;
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;

  int64_t index() const { return index_; }
  double time_s() const { return time_s_; }
  int64_t pts() const { return pts_; }            ///< in StreamInfo::time_base; INT64_MIN when unknown
  int64_t dts() const { return dts_; }
  int64_t duration() const { return duration_; }  ///< in StreamInfo::time_base; 0 when unknown
  bool empty() const;
  int width() const;
  int height() const;
  std::string pixel_format_name() const;
  int plane_count() const;
  const uint8_t* data(int plane) const;
  int stride(int plane) const;  ///< bytes between rows; may exceed the row width

  /// Bytes of the frame with planes packed one after another, rows unpadded
  /// (the layout of FFmpeg's rawvideo and framemd5).
  size_t packed_size() const;
  void copy_packed(uint8_t* destination, size_t capacity) const;
  std::vector<uint8_t> packed() const;
  /// Hex MD5 of packed(): equals the hash column of `ffmpeg -f framemd5`.
  std::string md5() const;

 private:
  friend class VideoReader;
  struct AVFrameDeleter {
    void operator()(AVFrame* frame) const;
  };
  std::unique_ptr<AVFrame, AVFrameDeleter> frame_;
  int64_t index_ = -1;
  double time_s_ = 0;
  int64_t pts_ = 0;
  int64_t dts_ = 0;
  int64_t duration_ = 0;
};

class VideoReader {
 public:
  /// Opens a video file or a frame folder. Throws DecodeError naming the file
  /// and the reason when it cannot be opened or holds no video stream.
  explicit VideoReader(const std::string& path, VideoReaderOptions options = {});
  /// Decodes bytes in memory (a fuzz target, a video received over a socket).
  explicit VideoReader(const MemoryInput& input, VideoReaderOptions options = {});
  /// Readers opened by this process so far (thread-safe): how tests check
  /// that a pipeline decodes a video once.
  static int64_t opened_total();
  ~VideoReader();
  VideoReader(VideoReader&&) noexcept;
  VideoReader& operator=(VideoReader&&) noexcept;

  const StreamInfo& info() const;

  /// Decodes the next frame into `frame`. Returns false at the end of the
  /// stream or after options.last_frame. Damaged packets are skipped with a
  /// warning (see warnings()); throws DecodeError when the file cannot be read
  /// at all or not one frame decodes.
  bool next(Frame& frame);

  /// Frames returned so far.
  int64_t frames_returned() const;
  /// Problems that did not stop decoding (damaged packets, a stream cut short).
  const std::vector<std::string>& warnings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mexa::io
