// Frames per second of the temporal stages on this machine:
//   face detection (dlib HOG, Haar) on Megamind.avi's 720x528 frames,
//   landmarks + similarity crop to 128x128, motion curve at 128x128 (with and
//   without global alignment), and onset->apex flow at 128x128 per method.
// Medians of 5 timed passes, wall rate and process CPU time per item (OpenCV
// may use both cores). The motion curve is also timed as it was computed
// before the cached alignment (OpenCV's phaseCorrelate, findTransformECC and
// warpAffine on every frame pair), with the largest difference between the
// two curves. Writes a Markdown table.
//
//   build/bench/temporal_speed [--out docs/bench-temporal.md]
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "mexa/io/video_reader.h"
#include "mexa/synth/generator.h"
#include "mexa/temporal/face_tracker.h"
#include "mexa/temporal/frame_image.h"
#include "mexa/temporal/motion.h"
#include "mexa/temporal/optical_flow.h"

using namespace mexa;

namespace {

struct Rate {
  double per_second = 0;  ///< items per wall-clock second
  double cpu_us = 0;      ///< process CPU microseconds per item
};

/// Medians over 5 passes of `pass` (which processes `items` items).
Rate rate(int items, const std::function<void()>& pass) {
  std::vector<double> wall, cpu;
  pass();  // warm-up
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    pass();
    cpu.push_back(static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
    wall.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {items / wall[2], cpu[2] / items * 1e6};
}

/// The motion curve as mexa computed it before the cached alignment: each
/// frame pair through OpenCV's phaseCorrelate, findTransformECC and warpAffine.
std::vector<float> opencv_motion_curve(const std::vector<cv::Mat>& frames, const cv::Mat& weights) {
  const auto smooth = [](const cv::Mat& f) {
    cv::Mat out;
    f.convertTo(out, CV_32F);
    cv::GaussianBlur(out, out, cv::Size(0, 0), 1.0);
    return out;
  };
  cv::Mat window;
  cv::createHanningWindow(window, frames[0].size(), CV_32F);
  const cv::Mat reference = smooth(frames[0]);
  std::vector<float> curve(frames.size(), 0.0f);
  for (size_t t = 1; t < frames.size(); ++t) {
    const cv::Mat frame = smooth(frames[t]);
    const cv::Point2d shift = cv::phaseCorrelate(reference.clone(), frame.clone(), window);
    cv::Mat aligned = frame;
    if (std::abs(shift.x) < 3 && std::abs(shift.y) < 3) {
      cv::Mat warp = (cv::Mat_<float>(2, 3) << 1, 0, static_cast<float>(shift.x), 0, 1, static_cast<float>(shift.y));
      try {
        cv::findTransformECC(reference, frame, warp, cv::MOTION_TRANSLATION,
                             cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 30, 1e-4),
                             cv::noArray(), 1);
      } catch (const cv::Exception&) {
      }
      cv::warpAffine(frame, aligned, warp, frame.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                     cv::BORDER_REPLICATE);
    }
    cv::Mat diff = aligned - reference;
    curve[t] = static_cast<float>(cv::mean(diff.mul(diff).mul(weights))[0]);
  }
  return curve;
}

/// Largest |a - b| relative to the largest |b|.
double relative_gap(const std::vector<float>& a, const std::vector<float>& b) {
  double gap = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) gap = std::max(gap, std::abs(static_cast<double>(a[i]) - b[i]));
  for (float v : b) scale = std::max(scale, std::abs(static_cast<double>(v)));
  return scale > 0 ? gap / scale : gap;
}

std::vector<cv::Mat> decode(const std::string& path, io::PixelFormat format, int limit) {
  io::VideoReaderOptions o;
  o.pixel_format = format;
  io::VideoReader reader(path, o);
  std::vector<cv::Mat> frames;
  io::Frame f;
  while (static_cast<int>(frames.size()) < limit && reader.next(f)) frames.push_back(temporal::to_mat(f).clone());
  return frames;
}

using AddRow = std::function<void(const std::string&, Rate)>;

/// The motion curve's rows, at 128x128 and at mexa score's 64x64, beside the
/// former per-pair OpenCV calls, and how far the two curves differ (notes).
void motion_rows(const std::vector<cv::Mat>& clip, const AddRow& add, std::vector<std::string>& notes) {
  const cv::Mat weights = temporal::face_region_weights({128, 128}, {});
  const int n = static_cast<int>(clip.size());
  add("motion curve 128x128, global alignment on (frames/s)",
      rate(n, [&] { temporal::motion_curve(clip, {.reference = 0}, weights); }));
  add("motion curve 128x128, global alignment off (frames/s)",
      rate(n, [&] { temporal::motion_curve(clip, {.reference = 0, .compensate_global = false}, weights); }));
  // The size VideoAnalyser computes every clip's per-frame motion at (motion_size 64).
  std::vector<cv::Mat> small;
  for (const auto& f : clip) {
    cv::Mat s;
    cv::resize(f, s, {64, 64}, 0, 0, cv::INTER_AREA);
    small.push_back(s);
  }
  const cv::Mat small_weights = temporal::face_region_weights({64, 64}, {});
  add("motion curve 64x64 (mexa score's per-frame motion), global alignment on (frames/s)",
      rate(n, [&] { temporal::motion_curve(small, {.reference = 0}, small_weights); }));
  add("motion curve 64x64, global alignment on, OpenCV's calls per pair as before 2026-12-05 (frames/s)",
      rate(n, [&] { opencv_motion_curve(small, small_weights); }));
  add("motion curve 128x128, global alignment on, OpenCV's calls per pair as before 2026-12-05 (frames/s)",
      rate(n, [&] { opencv_motion_curve(clip, weights); }));
  using Case = std::tuple<int, const std::vector<cv::Mat>*, const cv::Mat*>;
  for (const auto& [size, frames, w] : {Case{64, &small, &small_weights}, Case{128, &clip, &weights}}) {
    char line[200];
    std::snprintf(line, sizeof line, "%dx%d: largest difference between the two curves, relative to the curve's peak: %.2g",
                  size, size, relative_gap(temporal::motion_curve(*frames, {.reference = 0}, *w),
                                           opencv_motion_curve(*frames, *w)));
    notes.push_back(line);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string out = "docs/bench-temporal.md";
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--out") out = argv[i + 1];

  const std::string megamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";
  const auto faces = decode(megamind, io::PixelFormat::Gray8, 30);

  synth::SynthOptions so;
  so.out_dir = "build/bench-data/temporal-speed";
  so.clips = 1;
  so.subjects = 1;
  so.seed = 5;
  synth::generate(so);
  const auto clip = decode(so.out_dir + "/clips/sub01/sub01_0001.mp4", io::PixelFormat::Gray8, 1000);

  std::vector<std::pair<std::string, Rate>> rows;
  std::vector<std::string> notes;
  auto add = [&](const std::string& name, Rate r) {
    rows.push_back({name, r});
    std::fprintf(stderr, "%-60s %8.1f/s %8.1f us CPU\n", name.c_str(), r.per_second, r.cpu_us);
  };

  temporal::FaceTrackerOptions hog_options;
  hog_options.landmarks = false;
  temporal::FaceTracker hog(hog_options);
  add("face detection, dlib HOG, 720x528 (frames/s)", rate(static_cast<int>(faces.size()), [&] {
        for (const auto& f : faces) hog.detect(f);
      }));
  temporal::FaceTrackerOptions haar_options = hog_options;
  haar_options.detector = temporal::FaceDetector::Haar;
  temporal::FaceTracker haar(haar_options);
  add("face detection, Haar cascade, 720x528 (frames/s)", rate(static_cast<int>(faces.size()), [&] {
        for (const auto& f : faces) haar.detect(f);
      }));
  // Tracking mode (the detector every 10th frame): landmarks, alignment and
  // the 128x128 crop on every frame — the per-frame cost on long videos.
  temporal::FaceTracker tracking({});
  add("tracking: HOG every 10th frame + 68 landmarks + 128x128 crop, 720x528 (frames/s)",
      rate(static_cast<int>(faces.size()), [&] {
        for (const auto& f : faces) {
          const auto observed = tracking.track(f);
          if (observed[0].success) tracking.crop(f, tracking.alignment(observed[0]));
        }
      }));
  motion_rows(clip, add, notes);
  const int n = static_cast<int>(clip.size());
  for (auto [name, method] : {std::pair{"TV-L1", temporal::FlowMethod::TvL1},
                              std::pair{"Farneback", temporal::FlowMethod::Farneback},
                              std::pair{"DIS", temporal::FlowMethod::Dis}}) {
    const int pairs = method == temporal::FlowMethod::TvL1 ? 10 : 50;
    add(std::string("flow features ") + name + ", 128x128 -> 28x28x3 (frame pairs/s)", rate(pairs, [&] {
          for (int i = 0; i < pairs; ++i) temporal::flow_features(clip[0], clip[static_cast<size_t>(n / 2)], method);
        }));
  }

  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  std::ofstream md(out);
  md << "# Temporal stages: throughput\n\n- Command: `scripts/bench temporal_speed`\n- Date: " << date
     << "; machine: the project's 2-core x86_64 CPU machine, one thread per stage (OpenCV may use both cores)\n"
     << "- Median of 5 passes; face stages on the first 30 frames of opencv-doc's Megamind.avi, the rest on a "
        "`mexa synth` clip; CPU is the process's CPU time per item (all threads)\n\n"
     << "| stage | rate | CPU per item (us) |\n|---|---:|---:|\n";
  for (const auto& [name, value] : rows) {
    char line[240];
    std::snprintf(line, sizeof line, "| %s | %.1f | %.0f |\n", name.c_str(), value.per_second, value.cpu_us);
    md << line;
  }
  md << "\n";
  for (const auto& note : notes) md << "- " << note << "\n";
  std::fprintf(stderr, "wrote %s\n", out.c_str());
  return 0;
}
