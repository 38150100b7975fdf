// Bridges decoded frames (io::Frame) to OpenCV images, the currency of the
// temporal module. Stateless, thread-safe.
//
//   mexa::io::VideoReader reader(path, {.pixel_format = mexa::io::PixelFormat::Gray8});
//   mexa::io::Frame frame;
//   while (reader.next(frame)) cv::Mat gray = mexa::temporal::to_mat(frame);
#pragma once

#include <opencv2/core.hpp>

#include "mexa/io/video_reader.h"

namespace mexa::temporal {

/// A cv::Mat header over the frame's pixels (no copy; valid while `frame`
/// lives and is not reused). The frame must be gray8 (CV_8UC1) or rgb24
/// (CV_8UC3, channels in R, G, B order); throws DataError otherwise.
cv::Mat to_mat(const io::Frame& frame);

}  // namespace mexa::temporal
