#include "mexa/temporal/frame_image.h"

#include "mexa/io/errors.h"

namespace mexa::temporal {

cv::Mat to_mat(const io::Frame& frame) {
  const std::string format = frame.pixel_format_name();
  int type = -1;
  if (format == "gray") type = CV_8UC1;
  if (format == "rgb24") type = CV_8UC3;
  if (type < 0 || frame.empty())
    throw DataError("", "frame " + std::to_string(frame.index()) + " is " + format +
                            "; decode it as gray8 or rgb24 to use it as an image");
  return cv::Mat(frame.height(), frame.width(), type, const_cast<uint8_t*>(frame.data(0)),
                 static_cast<size_t>(frame.stride(0)));
}

}  // namespace mexa::temporal
