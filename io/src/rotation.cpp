#include "rotation.h"

#include <cmath>
#include <cstring>

extern "C" {
#include <libavutil/display.h>
}

#include "mexa/io/errors.h"

namespace mexa::io {

int display_rotation(const AVStream* stream) {
  const auto* matrix = reinterpret_cast<const int32_t*>(
      av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr));
  if (!matrix) return 0;
  const double counter_clockwise = av_display_rotation_get(matrix);
  if (!std::isfinite(counter_clockwise)) return 0;
  const long quarter_turns = std::lround(-counter_clockwise / 90.0);
  return static_cast<int>(((quarter_turns % 4) + 4) % 4) * 90;
}

ffmpeg::FramePtr rotated(const AVFrame* source, int degrees) {
  const int bpp = source->format == AV_PIX_FMT_GRAY8 ? 1 : 3;
  const int w = source->width, h = source->height;
  ffmpeg::FramePtr out(av_frame_alloc());
  if (!out) throw DecodeError("", "out of memory rotating a frame");
  out->format = source->format;
  out->width = degrees == 180 ? w : h;
  out->height = degrees == 180 ? h : w;
  if (av_frame_get_buffer(out.get(), 0) < 0) throw DecodeError("", "out of memory rotating a frame");
  av_frame_copy_props(out.get(), source);
  for (int y = 0; y < out->height; ++y) {
    uint8_t* row = out->data[0] + static_cast<ptrdiff_t>(y) * out->linesize[0];
    for (int x = 0; x < out->width; ++x) {
      int sx = 0, sy = 0;  // the source pixel shown at (x, y)
      if (degrees == 90) sx = y, sy = h - 1 - x;
      else if (degrees == 270) sx = w - 1 - y, sy = x;
      else sx = w - 1 - x, sy = h - 1 - y;
      std::memcpy(row + x * bpp, source->data[0] + static_cast<ptrdiff_t>(sy) * source->linesize[0] + sx * bpp, bpp);
    }
  }
  return out;
}

}  // namespace mexa::io
