// Frames per second of the temporal stages on this machine:
//   face detection (dlib HOG, Haar) on Megamind.avi's 720x528 frames,
//   landmarks + similarity crop to 128x128, motion curve at 128x128 (with and
//   without global alignment), and onset->apex flow at 128x128 per method.
// Medians of 5 timed passes. Writes a Markdown table.
//
//   build/bench/temporal_speed [--out docs/bench-temporal.md]
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "mexa/io/video_reader.h"
#include "mexa/synth/generator.h"
#include "mexa/temporal/face_tracker.h"
#include "mexa/temporal/frame_image.h"
#include "mexa/temporal/motion.h"
#include "mexa/temporal/optical_flow.h"

using namespace mexa;

namespace {

/// Median items per second of `pass` (which processes `items` items) over 5 passes.
double rate(int items, const std::function<void()>& pass) {
  std::vector<double> seconds;
  pass();  // warm-up
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    pass();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return items / seconds[2];
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

  std::vector<std::pair<std::string, double>> rows;
  auto add = [&](const std::string& name, double fps) {
    rows.push_back({name, fps});
    std::fprintf(stderr, "%-60s %8.1f\n", name.c_str(), fps);
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
        "`mexa synth` clip\n\n| stage | rate |\n|---|---:|\n";
  for (const auto& [name, value] : rows) {
    char line[160];
    std::snprintf(line, sizeof line, "| %s | %.1f |\n", name.c_str(), value);
    md << line;
  }
  std::fprintf(stderr, "wrote %s\n", out.c_str());
  return 0;
}
