#include "mexa/temporal/flow_image.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>

#include "mexa/io/errors.h"

namespace mexa::temporal {

cv::Mat flow_image_bgr(const cv::Mat& stacked) {
  if (stacked.type() != CV_32FC3) throw std::invalid_argument("flow_image_bgr takes CV_32FC3 (u, v, strain)");
  cv::Mat rgb, bgr;
  stacked.convertTo(rgb, CV_8UC3, 255.0);  // rounds to nearest and saturates
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

void write_flow_image(const std::string& path, const cv::Mat& stacked) {
  bool written = false;
  try {
    written = cv::imwrite(path, flow_image_bgr(stacked));
  } catch (const cv::Exception& e) {
    throw DecodeError(path, std::string("cannot write the flow image: ") + e.what());
  }
  if (!written) throw DecodeError(path, "cannot write the flow image (folder missing, or an extension OpenCV cannot write)");
}

cv::Mat read_flow_image(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw DecodeError(path, "a folder, not a flow image (mexa score --input flow-image reads the images in a folder)");
  if (!std::filesystem::is_regular_file(path, ec)) throw DecodeError(path, "no such image file");
  cv::Mat image;
  try {
    image = cv::imread(path, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw DecodeError(path, std::string("not a readable image: ") + e.what());
  }
  if (image.empty()) throw DecodeError(path, "not a readable image (a flow image is a PNG, JPEG or BMP)");
  if (image.depth() != CV_8U) throw DecodeError(path, "a flow image has 8 bits per channel");
  if (image.channels() == 1) throw DecodeError(path, "a grey image, not a flow image (R u, G v, B strain)");
  cv::Mat rgb;
  cv::cvtColor(image, rgb, image.channels() == 4 ? cv::COLOR_BGRA2RGB : cv::COLOR_BGR2RGB);
  return rgb;
}

}  // namespace mexa::temporal
