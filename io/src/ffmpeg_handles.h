// RAII owners for FFmpeg objects and the error-text helper. Private to mexa::io:
// no public header includes FFmpeg.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>

namespace mexa::io::ffmpeg {

struct InputContextDeleter {
  void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
};
struct OutputContextDeleter {
  void operator()(AVFormatContext* p) const { avformat_free_context(p); }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* p) const { sws_freeContext(p); }
};
struct DictionaryDeleter {
  void operator()(AVDictionary* p) const { av_dict_free(&p); }
};

using InputContext = std::unique_ptr<AVFormatContext, InputContextDeleter>;
using OutputContext = std::unique_ptr<AVFormatContext, OutputContextDeleter>;
using CodecContext = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;

/// Unrefs a packet when the loop iteration that filled it ends, however it ends.
class PacketUnrefGuard {
 public:
  explicit PacketUnrefGuard(AVPacket* packet) : packet_(packet) {}
  ~PacketUnrefGuard() { av_packet_unref(packet_); }
  PacketUnrefGuard(const PacketUnrefGuard&) = delete;
  PacketUnrefGuard& operator=(const PacketUnrefGuard&) = delete;

 private:
  AVPacket* packet_;
};

/// FFmpeg's text for an AVERROR code.
inline std::string error_text(int code) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buffer, sizeof buffer);
  return buffer;
}

}  // namespace mexa::io::ffmpeg
