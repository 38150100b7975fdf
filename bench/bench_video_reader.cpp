// Frames per second of io::VideoReader per output mode, on the clip named by
// MEXA_BENCH_CLIP (default: build/bench-data/vga_640x480_200fps_15s.mp4, made
// by bench/decode_vs_ffmpeg.py). Shows what conversion and resizing cost on
// top of decoding.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "mexa/io/video_reader.h"

namespace {

std::string clip_path() {
  const char* env = std::getenv("MEXA_BENCH_CLIP");
  return env ? env : "build/bench-data/vga_640x480_200fps_15s.mp4";
}

void decode(benchmark::State& state, mexa::io::VideoReaderOptions options) {
  int64_t frames = 0;
  for (auto _ : state) {
    try {
      mexa::io::VideoReader reader(clip_path(), options);
      mexa::io::Frame frame;
      while (reader.next(frame)) {
        benchmark::DoNotOptimize(frame.data(0));
        ++frames;
      }
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
  }
  state.counters["fps"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}

void BM_Native(benchmark::State& state) { decode(state, {.threads = static_cast<int>(state.range(0))}); }
void BM_Gray8(benchmark::State& state) {
  decode(state, {.pixel_format = mexa::io::PixelFormat::Gray8, .threads = static_cast<int>(state.range(0))});
}
void BM_Rgb24(benchmark::State& state) {
  decode(state, {.pixel_format = mexa::io::PixelFormat::Rgb24, .threads = static_cast<int>(state.range(0))});
}
void BM_Gray8_128x128(benchmark::State& state) {
  decode(state, {.pixel_format = mexa::io::PixelFormat::Gray8, .width = 128, .height = 128,
                 .threads = static_cast<int>(state.range(0))});
}
void BM_Range_Last100(benchmark::State& state) {
  decode(state, {.first_frame = 2900, .threads = static_cast<int>(state.range(0))});
}

BENCHMARK(BM_Native)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Gray8)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Rgb24)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Gray8_128x128)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Range_Last100)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
