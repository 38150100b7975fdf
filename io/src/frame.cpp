// io::Frame: one decoded frame, its planes and their packed copy (video_reader.h).
#include <cstring>

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/md5.h>
#include <libavutil/pixdesc.h>
}

#include "ffmpeg_handles.h"
#include "mexa/io/errors.h"
#include "mexa/io/video_reader.h"

namespace mexa::io {

using ffmpeg::error_text;

void Frame::AVFrameDeleter::operator()(AVFrame* frame) const { av_frame_free(&frame); }

Frame::Frame() = default;
Frame::~Frame() = default;
Frame::Frame(Frame&&) noexcept = default;
Frame& Frame::operator=(Frame&&) noexcept = default;

bool Frame::empty() const { return !frame_ || !frame_->data[0]; }
int Frame::width() const { return frame_ ? frame_->width : 0; }
int Frame::height() const { return frame_ ? frame_->height : 0; }

std::string Frame::pixel_format_name() const {
  const char* name = frame_ ? av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame_->format)) : nullptr;
  return name ? name : "none";
}

int Frame::plane_count() const {
  return frame_ ? std::max(0, av_pix_fmt_count_planes(static_cast<AVPixelFormat>(frame_->format))) : 0;
}

const uint8_t* Frame::data(int plane) const { return frame_ ? frame_->data[plane] : nullptr; }
int Frame::stride(int plane) const { return frame_ ? frame_->linesize[plane] : 0; }

size_t Frame::packed_size() const {
  if (empty()) return 0;
  const int size =
      av_image_get_buffer_size(static_cast<AVPixelFormat>(frame_->format), frame_->width, frame_->height, /*align=*/1);
  return size < 0 ? 0 : static_cast<size_t>(size);
}

void Frame::copy_packed(uint8_t* destination, size_t capacity) const {
  if (empty()) return;
  const int written = av_image_copy_to_buffer(destination, static_cast<int>(capacity), frame_->data, frame_->linesize,
                                              static_cast<AVPixelFormat>(frame_->format), frame_->width,
                                              frame_->height, /*align=*/1);
  if (written < 0) throw DecodeError("", "cannot pack frame: " + error_text(written));
}

std::vector<uint8_t> Frame::packed() const {
  std::vector<uint8_t> bytes(packed_size());
  copy_packed(bytes.data(), bytes.size());
  return bytes;
}

std::string Frame::md5() const {
  const std::vector<uint8_t> bytes = packed();
  uint8_t digest[16];
  av_md5_sum(digest, bytes.data(), static_cast<int>(bytes.size()));
  static const char* const hex = "0123456789abcdef";
  std::string text;
  for (uint8_t b : digest) {
    text += hex[b >> 4];
    text += hex[b & 15];
  }
  return text;
}

// ---------------------------------------------------------------- VideoReader

}  // namespace mexa::io
