// pipeline::ClipAnalyser: one video -> what the results file holds for it,
// before and after the model. A scoring worker owns one and runs it on one
// video after another; nothing of one video is kept for the next (the face
// tracker starts afresh on each).
//
//   analyse():  decode, face + landmarks, motion curve, phase per frame,
//               onset/apex/offset (annotated, else spotted), the model input
//               (and, for --frame-probs, the windows' decoded frames);
//               long videos: spotted intervals, scored here in chunks through
//               `predict` so memory does not grow with their number.
//   predict_clips(): the inference thread fills probs / pred / apex feature
//               of a batch of short clips (and --frame-probs windows).
//   to_results_batch(): the rows io::ResultsWriter::append takes.
//
// A clip's failure is its status (decode_error, no_face, bad_annotation,
// model_error, internal_error for a programming error) with the error text;
// it never throws for one clip's sake.
//
// Not thread-safe: one ClipAnalyser per worker thread; `predict` must be
// safe to call from several workers (the scorer serialises it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mexa/engine/trainer.h"
#include "mexa/io/results.h"
#include "mexa/pipeline/inputs.h"
#include "mexa/temporal/clip_loader.h"
#include "mexa/temporal/video_analysis.h"

namespace mexa::pipeline {

/// The model on a batch of inputs.
using PredictFn = std::function<std::vector<engine::Predictor::Output>(const std::vector<engine::ClipArray>&)>;

/// One analysed video on its way to the writer.
struct ScoredClip {
  io::ClipRow clip;
  std::vector<io::FrameRow> frames;
  std::vector<io::IntervalRow> intervals;
  engine::ClipArray clip_input;                 ///< the model input (short videos; empty once predicted)
  /// --frame-probs: one window per frame from frame_windows_first, decoded
  /// once; their inputs are assembled chunk by chunk as they go through the model.
  std::optional<temporal::ClipLoader::Windows> frame_windows;
  int64_t frame_windows_first = 0;  ///< frame of window 0 (the onset for a long video's span)
};

struct ClipAnalysisOptions {
  temporal::VideoAnalysisOptions video;  ///< face detector, landmarks, long-video threshold, folder fps
  temporal::ClipSpec input;              ///< the model's input spec
  bool frame_probs = false;              ///< build a window around every frame
};

class ClipAnalyser {
 public:
  /// Loads the face models; throws DataError naming a missing model file.
  explicit ClipAnalyser(const ClipAnalysisOptions& options);

  /// Never throws for a bad clip: the failure is the returned clip's status.
  /// `predict` is used for long videos only (may be empty when none is expected).
  ScoredClip analyse(const ScoreInput& input, const PredictFn& predict);

 private:
  ClipAnalysisOptions options_;
  temporal::VideoAnalyser analyser_;
  temporal::ClipLoader loader_;
};

/// Fills probs / pred / apex_feature of the short clips of `batch` (long
/// videos were scored by their worker) and the --frame-probs rows; a model
/// failure becomes those clips' model_error. The --frame-probs windows go
/// through the model `window_batch` at a time, assembled as they go.
void predict_clips(const PredictFn& predict, std::vector<ScoredClip>& batch, size_t window_batch);

/// The rows of `clips` as one writer batch (frame and interval rows point at
/// their clip's row in the batch). Moves the rows out.
io::ResultsBatch to_results_batch(std::vector<ScoredClip>& clips);

}  // namespace mexa::pipeline
