// Display rotation (a phone video's display matrix) applied to decoded
// frames, as FFmpeg's CLI does. Internal to io/.
#pragma once

#include "ffmpeg_handles.h"

namespace mexa::io {

/// Clockwise degrees (0, 90, 180, 270) the stream's display matrix turns a
/// frame by, rounded to a quarter turn, as FFmpeg's CLI reads it; 0 without one.
int display_rotation(const AVStream* stream);

/// `source` (packed gray8 or rgb24) turned clockwise by `degrees` into a new frame.
ffmpeg::FramePtr rotated(const AVFrame* source, int degrees);

}  // namespace mexa::io
