// pipeline::score: the main job, `mexa score`, as one library call. Scores
// many videos offline into one HDF5 results file.
//
//   inputs (files, frame folders, directories, manifests, @lists, -)
//     -> shard i/n (a contiguous block of whole batches)
//     -> inference batches by input position: batch k = clips [kB, (k+1)B)
//     -> W worker threads, one ClipAnalyser each (decode, face, motion, phase,
//        spotting, model input; long videos scored in chunks by the worker)
//     -> OrderedWindow (workers at most B + 2W clips ahead of the batch being
//        written: memory bounded whatever the number and length of the videos)
//     -> this thread: each batch, once all its clips are in, in input order:
//        batched inference, then io::ResultsWriter::append, one committed
//        batch at a time (a SIGKILL loses at most the batch in flight)
//
// Deterministic: a clip's batch-mates depend only on the input list, --batch
// and the shard, never on worker timing; rows are stored in input order. The
// same inputs, model, options and thread count give bit-identical results on
// one machine and build. --resume scores a batch with any clip missing again
// as a whole (writing only the missing clips).
//
// Stopping: when `stop` becomes true (the CLI's SIGINT/SIGTERM handler) the
// batch being filled is finished, scored and written, no other is started,
// the file is closed, and the summary says `interrupted`. A fatal error (the
// results file cannot be written) cancels the workers, joins them and is
// rethrown. Worker threads are std::jthreads: joined on every path out of score().
//
//   pipeline::ScoreOptions o;
//   o.inputs = {"clips/"};  o.model = "run/folds/0/best.pt";  o.out = "r.h5";
//   std::atomic<bool> stop{false};
//   pipeline::ScoreSummary s = pipeline::score(o, stop, nullptr);
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "mexa/io/manifest.h"
#include "mexa/pipeline/inputs.h"

namespace mexa::pipeline {

/// A bad option or option combination, found before any video is read
/// (the CLI turns it into exit code 2). The message names the option.
struct OptionError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

/// `mexa score`'s options and their defaults (the CLI binds its flags to these).
struct ScoreOptions {
  std::vector<std::string> inputs;   ///< videos, frame folders, directories, manifests, @lists, "-"
  /// "flow-image": a folder's images are flow images, each a clip (the model
  /// must read flow images); "": folders are frame folders or hold videos.
  std::string input_kind;
  io::ManifestOptions manifest;      ///< how manifests are read; the classes become the model's
  std::string model;                 ///< checkpoint of `mexa train`
  std::string out;                   ///< results file (HDF5)
  enum class Output { Create, Resume, Overwrite } output = Output::Create;
  std::string shard;                 ///< "i/n"; "" = RANK/WORLD_SIZE, Slurm array variables, else 0/1
  std::string device = "auto";       ///< auto, cpu, cuda, cuda:N
  int threads = 0;                   ///< LibTorch CPU threads (0: all cores)
  int workers = 2;                   ///< decode/analysis threads
  int batch = 8;                     ///< clips per inference batch and per committed write
  std::string face;                  ///< none, hog, haar; "" = the model's
  int min_face = -1;                 ///< smallest face side in pixels; -1 = the model's, 0 = the detector's own
  /// A clip with no face fails as no_face; otherwise (as in training) the whole
  /// frame is the face and the clip row says face_found = 0.
  bool require_face = false;
  bool landmarks = false;            ///< 68 landmarks per frame (needs a face detector)
  bool frame_probs = false;          ///< the model on a window around every frame
  int64_t long_frames = 3000;        ///< longer videos are spotted for intervals, each scored
  double logit_adjust = 0;           ///< post-hoc logit adjustment tau (0: off); needs the checkpoint's class counts
};

struct ScoreSummary {
  int64_t to_score = 0;        ///< clips of this shard not yet in the file
  int64_t already_done = 0;    ///< clips of this shard found in the file (--resume)
  int64_t written = 0;         ///< clip rows written by this run
  int64_t ok = 0;
  std::map<std::string, int64_t> failed_by_reason;  ///< status name -> count
  std::vector<InputProblem> problems;               ///< inputs that gave no clip
  bool interrupted = false;                         ///< stopped before every clip was written
  int64_t failed() const;
};

/// Called after each committed batch: (clips written, clips to score).
using ScoreProgress = std::function<void(int64_t written, int64_t total)>;

/// Runs the whole job. Throws OptionError for bad options (before any
/// decoding), DataError for an unusable checkpoint or missing face model
/// files (before any worker starts), StorageError when the results file
/// cannot be written. Bad videos never throw: they are rows with a status.
ScoreSummary score(const ScoreOptions& options, const std::atomic<bool>& stop, const ScoreProgress& progress);

}  // namespace mexa::pipeline
