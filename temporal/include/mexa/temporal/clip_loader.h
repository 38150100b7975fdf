// temporal::ClipLoader: one annotated clip -> the float array a model reads.
// Decodes the frames the key-frame sampler picks (VideoReader), aligns the face
// once on the onset frame (FaceTracker; or takes the frame as the face with
// FaceDetector::None), resizes to H x W and normalises: grey or RGB in [0, 1],
// then (x - mean) / std per channel. Output layout [C, T, H, W], row-major,
// ready to become a tensor in the engine (which sees no OpenCV or FFmpeg).
// Motion-adaptive sampling computes its motion curve here, from the aligned
// frames of [onset, offset] against the onset, so train, eval and score sample
// alike; flow input is onset -> apex optical flow on the aligned face.
//
// Not thread-safe (holds a FaceTracker): one loader per worker thread.
//
//   mexa::temporal::ClipLoader loader({.frames = 16, .height = 64, .width = 64});
//   mexa::temporal::ClipSample s = loader.load(row.path, {row.onset, row.apex, row.offset}, /*seed=*/epoch);
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "mexa/io/video_reader.h"
#include "mexa/temporal/alignment.h"
#include "mexa/temporal/face_tracker.h"
#include "mexa/temporal/input_kind.h"
#include "mexa/temporal/keyframe_sampler.h"
#include "mexa/temporal/optical_flow.h"

namespace mexa::temporal {

/// Training-time augmentation, one random draw per clip (every frame gets the
/// same transform, so the motion between frames is untouched).
struct Augmentation {
  float flip_probability = 0;  ///< horizontal mirror
  float max_shift = 0;         ///< random translation, fraction of the size (e.g. 0.05)
  float max_rotation = 0;      ///< random rotation, degrees
  float max_scale = 0;         ///< random zoom in [1 - s, 1 + s]
};

struct ClipSpec {
  Sampling sampling = Sampling::Uniform;
  int frames = 16;          ///< T
  int height = 64;
  int width = 64;
  int channels = 1;         ///< 1 grey, 3 RGB
  float mean = 0.5f;        ///< normalisation after scaling to [0, 1]
  float std = 0.25f;
  FaceDetector face = FaceDetector::None;
  int min_face = 0;         ///< smallest face side in pixels; 0: the detector's own (face_tracker.h)
  /// With a detector and no face on the alignment frame the whole frame is
  /// the face (ClipSample::face_found false); with require_face such a clip
  /// fails instead (DataError naming the file). Not part of the model input.
  bool require_face = false;
  /// What the model reads (input_kind.h):
  /// - Frames: the sampled frames;
  /// - OnsetDifference: every frame minus the onset frame: the model sees
  ///   the movement, not the face (identity cancels; (x_t - x_onset) / std);
  /// - Flow (STSTNet's input): u, v and optical strain (optical_flow.h)
  ///   computed on the aligned face at kFlowWorkSize and resized to H x W,
  ///   from the onset to `frames` targets centred on the apex, (apex -
  ///   onset) / (frames + 1) apart (frames = 1: onset -> apex); output [3,
  ///   frames, H, W], scaled by flow_norm (mean/std and sampling do not apply);
  /// - FlowImage: the clip's path names one flow image (flow_image.h),
  ///   resized to H x W when it is not, pixels / 255 then (x - mean) / std;
  ///   [3, 1, H, W]. No decode, face or span (the annotation is not used).
  InputKind kind = InputKind::Frames;
  FlowMethod flow_method = FlowMethod::TvL1;
  FlowNorm flow_norm = FlowNorm::SharedMax;
  int jitter = 0;           ///< training-time temporal jitter (frames)
  Augmentation augment;     ///< training-time spatial augmentation (off by default)
  double folder_fps = 0;    ///< frame rate for frame folders (0: FFmpeg's default)
};

/// Side of the aligned face crop optical flow is computed on.
constexpr int kFlowWorkSize = 128;

/// input_kind_name(spec.kind): what the spec feeds the model.
std::string input_kind_name(const ClipSpec& spec);
/// Whether the spec computes flow from frames (InputKind::Flow).
inline bool computes_flow(const ClipSpec& spec) { return spec.kind == InputKind::Flow; }

struct ClipSample {
  std::vector<float> data;          ///< C * T * H * W values
  std::vector<int64_t> shape;       ///< {C, T, H, W}
  std::vector<int64_t> indices;     ///< the clip frames used
  bool face_found = true;           ///< false: no face on the alignment frame (whole frame used)
  FaceAlignment alignment;          ///< what the frames were cut with (frame: where it was taken)
};

class ClipLoader {
 public:
  explicit ClipLoader(ClipSpec spec);
  ~ClipLoader();
  ClipLoader(ClipLoader&&) noexcept;
  ClipLoader& operator=(ClipLoader&&) noexcept;

  /// Throws DecodeError (naming the file) when the clip cannot be read or is
  /// shorter than its annotation.
  ClipSample load(const std::string& path, const ClipSpan& span, uint64_t seed = 0);

  /// Many windows of one video (per-frame sliding-window scoring), decoded
  /// once: the frames the windows need, sized with one transform (from the
  /// earliest frame). A frame window's input is assembled when taken, so
  /// thousands of windows go through a model in chunks without all of their
  /// inputs being in memory at once; flow windows (a few KB each, less than
  /// their frames) and motion-adaptive sampling are computed when opened, on
  /// the opening thread. No augmentation. Self-contained: take() may run on
  /// another thread than its loader's, and after the loader is gone.
  class Windows {
   public:
    size_t size() const { return spans_.size(); }
    /// The inputs of windows [first, first + count) (clamped to size()).
    std::vector<ClipSample> take(size_t first, size_t count) const;

   private:
    friend class ClipLoader;
    ClipSpec spec_;
    std::vector<ClipSpan> spans_;
    std::vector<std::vector<int64_t>> indices_;  ///< per window: the frames used
    std::map<int64_t, cv::Mat> sized_;           ///< frame windows: the sized frames they use
    std::vector<ClipSample> flow_;               ///< flow windows: their inputs
    ClipSample cut_;                             ///< alignment and face_found every window shares
  };
  /// Decodes what `windows` need; same errors as load(), raised here.
  Windows open_windows(const std::string& path, std::vector<ClipSpan> windows);
  /// open_windows() with every window taken at once (a few windows).
  std::vector<ClipSample> load_windows(const std::string& path, const std::vector<ClipSpan>& windows);

  const ClipSpec& spec() const;
  /// What load() decodes to: RGB for 3-channel frames or a face detector, else grey.
  io::PixelFormat pixel_format() const;

  /// load() in streaming form, for a caller that decodes the video itself (one
  /// decode gives the per-frame analysis and the model input). push() every
  /// decoded frame in order, in pixel_format(); finish() then gives exactly
  /// what load(path, span) would (same alignment frame — the first pushed
  /// frame at or after `first`, the onset — same sizing, sampling, assembly).
  /// Keeps the frames of [first, last] (last < 0: to the end) at the model's
  /// size, at most `max_frames`; past that overflowed() is true and the
  /// caller falls back to load(). A caller that has aligned the clip already
  /// (VideoAnalyser, same detector) passes that alignment with each frame; it
  /// is used when taken at or after `first` (the onset, or an unannotated
  /// clip's first face), so rows and model input share one transform. Not
  /// thread-safe; the loader must outlive it.
  class Collector {
   public:
    Collector(ClipLoader& loader, int64_t first, int64_t last, int64_t max_frames);
    void push(int64_t index, const cv::Mat& frame, const FaceAlignment* clip_alignment = nullptr);
    bool overflowed() const { return overflowed_; }
    /// Throws like load() (DecodeError for frames the video did not have).
    ClipSample finish(const std::string& path, const ClipSpan& span, uint64_t seed = 0) const;

   private:
    friend class ClipLoader;  // load() and open_windows() decode through a Collector too
    ClipLoader& loader_;
    int64_t first_, last_, max_frames_;
    std::map<int64_t, cv::Mat> sized_;
    FaceAlignment alignment_;
    bool aligned_ = false, overflowed_ = false;
  };

 private:
  /// The frames load() keeps for `span` (the onset always; then the picked
  /// frames, the whole span for motion sampling, onset and the apex-centred targets for flow).
  std::set<int64_t> needed_frames(const std::string& path, const ClipSpan& span, uint64_t seed) const;
  /// The model input from the sized frames of `span`.
  ClipSample from_sized(const std::string& path, const ClipSpan& span, uint64_t seed,
                        const std::map<int64_t, cv::Mat>& sized, const FaceAlignment& alignment) const;
  std::map<int64_t, cv::Mat> decode_sized(const std::string& path, int64_t first, int64_t last,
                                          const std::function<bool(int64_t)>& keep, FaceAlignment& alignment);
  /// The alignment on one frame: its face (align_on), or the whole frame without a detector.
  FaceAlignment align(const cv::Mat& image, int64_t index);
  /// Records in `sample` the alignment its frames were cut with (and face_found,
  /// derived from it); DataError naming `path` for no face under require_face.
  void cut_with(const std::string& path, const FaceAlignment& alignment, ClipSample& sample) const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mexa::temporal
