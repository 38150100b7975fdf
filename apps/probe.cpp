// `mexa probe FILE...`: stream information and the exact decoded frame count;
// --framemd5 prints per-frame hashes in the layout of FFmpeg's framemd5 muxer.
#include <spdlog/spdlog.h>

#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "commands.h"
#include "mexa/io/errors.h"
#include "mexa/io/video_reader.h"

namespace mexa::cli {
namespace {

struct ProbeResult {
  io::StreamInfo info;
  int64_t frames = 0;
  std::vector<std::string> warnings;
};

std::string rate_text(const io::Rational& r) { return std::to_string(r.num) + "/" + std::to_string(r.den); }

void print_framemd5_header(const io::StreamInfo& info, const io::Frame& first) {
  std::printf("#format: frame checksums\n#version: 2\n#hash: MD5\n");
  std::printf("#tb 0: %d/%d\n#media_type 0: video\n#codec_id 0: rawvideo\n", info.time_base.num, info.time_base.den);
  std::printf("#dimensions 0: %dx%d\n#sar 0: 1/1\n", first.width(), first.height());
  std::printf("#stream#, dts,        pts, duration,     size, hash\n");
}

ProbeResult probe_one(const std::string& path, int threads, bool framemd5) {
  io::VideoReader reader(path, {.threads = threads, .min_side = 1});  // describe any file, even 1x1
  ProbeResult result{reader.info(), 0, {}};
  Progress progress("probe " + path, result.info.declared_frames, "frames");
  io::Frame frame;
  while (reader.next(frame)) {
    if (framemd5) {
      if (result.frames == 0) print_framemd5_header(result.info, frame);
      const int64_t pts = frame.pts() == INT64_MIN ? result.frames : frame.pts();
      const int64_t dts = frame.dts() == INT64_MIN ? pts : frame.dts();
      std::printf("0, %10" PRId64 ", %10" PRId64 ", %8" PRId64 ", %8zu, %s\n", dts, pts, frame.duration(),
                  frame.packed_size(), frame.md5().c_str());
    }
    ++result.frames;
    progress.update(result.frames);
  }
  progress.finish();
  result.warnings = reader.warnings();
  return result;
}

nlohmann::json to_json(const ProbeResult& r) {
  const auto& i = r.info;
  return {{"file", i.source},
          {"ok", true},
          {"frame_folder", i.frame_folder},
          {"container", i.container},
          {"codec", i.codec},
          {"width", i.width},
          {"height", i.height},
          {"pixel_format", i.pixel_format},
          {"avg_frame_rate", rate_text(i.avg_frame_rate)},
          {"avg_fps", i.avg_frame_rate.value()},
          {"real_frame_rate", rate_text(i.real_frame_rate)},
          {"time_base", rate_text(i.time_base)},
          {"duration_s", i.duration_s},
          {"declared_frames", i.declared_frames},
          {"frames", r.frames},
          {"warnings", r.warnings}};
}

void print_human(const ProbeResult& r) {
  const auto& i = r.info;
  std::printf("%s\n", i.source.c_str());
  std::printf("  container     %s%s\n", i.container.c_str(), i.frame_folder ? " (frame folder)" : "");
  std::printf("  codec         %s\n", i.codec.c_str());
  std::printf("  size          %dx%d\n", i.width, i.height);
  std::printf("  pixel format  %s\n", i.pixel_format.c_str());
  std::printf("  frame rate    avg %s (%.3f fps), real %s\n", rate_text(i.avg_frame_rate).c_str(),
              i.avg_frame_rate.value(), rate_text(i.real_frame_rate).c_str());
  if (i.duration_s >= 0)
    std::printf("  duration      %.3f s\n", i.duration_s);
  else
    std::printf("  duration      unknown\n");
  std::printf("  frames        %" PRId64 " decoded", r.frames);
  if (i.declared_frames >= 0) std::printf(" (container declares %" PRId64 ")", i.declared_frames);
  std::printf("\n");
  for (const auto& w : r.warnings) std::printf("  warning       %s\n", w.c_str());
}

}  // namespace

int run_probe(const std::vector<std::string>& args) {
  static const Command command{"probe", "Print codec, size, pixel format, frame rates, duration and the exact decoded "
                                        "frame count of videos or frame folders.",
                               "mexa probe [options] FILE...", run_probe};
  po::options_description options("Probe options");
  options.add_options()("files", po::value<std::vector<std::string>>()->multitoken(), "videos or frame folders")(
      "json", po::bool_switch(), "print a JSON array, one object per file")(
      "framemd5", po::bool_switch(), "print one line per decoded frame like `ffmpeg -f framemd5` (MD5 of the frame in "
                                     "its native pixel format, planes packed)")(
      "threads", po::value<int>()->default_value(0), "decoder threads (0: one per core)");
  po::positional_options_description positional;
  positional.add("files", -1);
  po::variables_map vm;
  if (!parse(args, command, options, positional, vm)) return kOk;
  if (!vm.count("files")) throw UsageError("no input files (see mexa probe --help)");
  const bool json = vm["json"].as<bool>();
  const bool framemd5 = vm["framemd5"].as<bool>();
  if (json && framemd5) throw UsageError("--json and --framemd5 cannot be combined");
  const int threads = vm["threads"].as<int>();
  if (threads < 0) throw UsageError("--threads must be 0 or more");

  const auto files = vm["files"].as<std::vector<std::string>>();
  nlohmann::json all = nlohmann::json::array();
  int failed = 0;
  for (const auto& file : files) {
    try {
      if (framemd5 && files.size() > 1) std::printf("#source: %s\n", file.c_str());
      const ProbeResult result = probe_one(file, threads, framemd5);
      if (json)
        all.push_back(to_json(result));
      else if (!framemd5)
        print_human(result);
    } catch (const Error& e) {
      ++failed;
      spdlog::error("{}", e.what());
      if (json) all.push_back({{"file", file}, {"ok", false}, {"error", e.reason()}});
    }
    std::fflush(stdout);
  }
  if (json) std::cout << all.dump(2) << "\n";
  if (failed > 0) spdlog::error("{} of {} inputs failed", failed, files.size());
  return failed > 0 ? kInputsFailed : kOk;
}

}  // namespace mexa::cli
