// io::ResultsWriter / io::ResultsReader: the HDF5 results file, schema
// `mexa-results` version 1 (DESIGN.md section 6).
//
// Layout: groups /clips, /frames, /intervals of columnar datasets, chunked,
// gzip+shuffle, extendable along the first axis; /committed_rows holds the
// row counts of the three groups that the last commit made durable.
//
// Crash safety: the file is written in HDF5's SWMR mode, whose ordered
// metadata flushes keep the file on disk consistent at every moment. Each
// append() writes one batch, flushes it, then writes /committed_rows and
// flushes again: after a crash (even SIGKILL) the file opens and holds every
// batch that append() returned from. Readers and resume trust
// /committed_rows; rows beyond it (a batch cut short) are dropped on resume.
// A file whose writer was killed still carries SWMR's "open for writing"
// flag until a resume reopens it: ResultsReader handles that; h5py needs
// `h5py.File(path, "r", swmr=True)` (or `h5clear -s path`) until then.
//
// Not thread-safe: one writer per file, used from one thread.
//
//   mexa::io::ResultsWriter out("r.h5", meta, mexa::io::ResultsWriter::Mode::Resume);
//   if (!out.contains("clip_001")) out.append(batch);
//   mexa::io::ResultsReader in("r.h5");
//   for (const auto& clip : in.clips()) ...
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace mexa::io {

inline constexpr const char* kResultsSchema = "mexa-results";
inline constexpr int kResultsSchemaVersion = 1;
inline constexpr int kLandmarkCount = 68;

/// Clip status codes of /clips/status.
enum class ClipStatus : int8_t {
  Ok = 0,
  NoFace = 1,
  DecodeError = 2,
  BadAnnotation = 3,
  ModelError = 4,
  InternalError = 5,  ///< a programming error while processing the clip (logged; please report)
};

/// "ok", "no_face", "decode_error", "bad_annotation", "model_error", "internal_error".
const char* clip_status_name(ClipStatus status);

enum class FramePhase : int8_t { None = 0, OnsetToApex = 1, Apex = 2, ApexToOffset = 3 };

/// Provenance and shape of a results file (root attributes).
struct ResultsMeta {
  std::vector<std::string> class_names;  ///< C = size(); probs are [N, C]
  int feature_dim = 1;                   ///< D of /clips/apex_feature [N, D]
  std::string model;
  std::string checkpoint_sha256;
  std::string config;                    ///< INI text of the run
  bool frame_landmarks = false;          ///< /frames/landmarks [M, 68, 2]
  bool frame_probs = false;              ///< /frames/probs [M, C]
  /// "i/n" for the file of shard i of n (root attribute `shard`); "" for a
  /// whole run's file, a merged one included. merge_results orders shards by it.
  std::string shard;
  int64_t shard_batch = 0;   ///< a shard's --batch (attribute `shard_batch`): the shards' cut
  int64_t shard_inputs = 0;  ///< the whole input list's size (attribute `shard_inputs`)
  // Filled by the writer / read back by the reader:
  std::string schema = kResultsSchema;
  int schema_version = kResultsSchemaVersion;
  std::string engine_version;
  std::string created_utc;
};

/// Why a file with `existing` cannot be resumed by a run that writes `wanted`
/// (checkpoint, model, classes, feature size, landmarks, frame probabilities,
/// run config), naming the first difference; "" when it can.
std::string resume_mismatch(const ResultsMeta& existing, const ResultsMeta& wanted);

/// `text` with every byte that is not part of valid UTF-8 written as "\xNN"
/// (file names need not be UTF-8; the schema's strings are).
std::string valid_utf8(const std::string& text);
/// Text as a fixed-width column stores it: valid_utf8(text) when it fits
/// `width` bytes, else "~" + 16 hex digits of a 64-bit hash of the whole text
/// + "~" + its tail (cut at a UTF-8 boundary): deterministic, so --resume finds it.
std::string stored_text(const std::string& text, size_t width);
/// A clip id as /clips/id stores it (256 bytes at most).
std::string stored_clip_id(const std::string& id);
/// "a/r.h5" + ".rank1" -> "a/r.rank1.h5": `suffix` before a final ".h5", else appended.
std::string with_h5_suffix(const std::string& path, const std::string& suffix);
/// The time now in UTC as ResultsMeta::created_utc holds it: "2026-12-01T01:30:45Z".
std::string utc_now();

struct ClipRow {
  std::string id;
  std::string source;
  std::string subject;
  ClipStatus status = ClipStatus::Ok;
  std::string error;
  double fps = 0;
  int64_t n_frames = 0;
  int32_t onset = -1;
  int32_t apex = -1;
  int32_t offset = -1;
  int8_t apex_source = 0;  ///< 0 annotated, 1 spotted
  /// false: the detector found no face, the whole frame was the face (files
  /// from before /clips/face_found read true).
  bool face_found = true;
  int16_t label = -1;      ///< -1 unknown
  int16_t pred = -1;
  std::vector<float> probs;         ///< C values (empty: written as NaN)
  std::vector<float> apex_feature;  ///< D values (empty: written as NaN)
  int64_t frame_start = 0;          ///< set by the writer: first row in /frames
  int64_t frame_count = 0;          ///< set by the writer
};

struct FrameRow {
  int64_t clip = 0;  ///< on append: index into the batch's clips; on read: row in /clips
  int64_t index = 0;
  double time = 0;
  std::array<float, 4> face_box{};  ///< x, y, width, height in pixels
  float face_confidence = 0;
  uint8_t success = 0;
  float motion = 0;
  FramePhase phase = FramePhase::None;
  int32_t face_id = -1;          ///< the face tracker's id (stable across frames); -1: no face in the frame
  std::vector<float> landmarks;  ///< 136 values (x0, y0, x1, ...) when meta.frame_landmarks
  std::vector<float> probs;      ///< C values when meta.frame_probs
};

struct IntervalRow {
  int64_t clip = 0;  ///< on append: index into the batch's clips; on read: row in /clips
  int32_t onset = 0;
  int32_t apex = 0;
  int32_t offset = 0;
  float score = 0;
  int16_t pred = -1;
  std::vector<float> probs;  ///< C values
};

/// Rows written together. A clip's frames must follow the frames of the clip before it.
struct ResultsBatch {
  std::vector<ClipRow> clips;
  std::vector<FrameRow> frames;
  std::vector<IntervalRow> intervals;
};

class ResultsWriter {
 public:
  enum class Mode {
    Create,     ///< a new file; fails when the path exists
    Overwrite,  ///< a new file, replacing any file at the path
    Resume,     ///< open an existing file (same classes and shapes) or create one
  };

  /// Throws StorageError naming the file on any HDF5 failure or schema mismatch.
  ResultsWriter(const std::string& path, const ResultsMeta& meta, Mode mode);
  ~ResultsWriter();
  ResultsWriter(ResultsWriter&&) noexcept;
  ResultsWriter& operator=(ResultsWriter&&) noexcept;

  /// True when a clip with this id was committed (in this or an earlier run).
  bool contains(const std::string& clip_id) const;
  int64_t clip_count() const;
  int64_t frame_count() const;
  int64_t interval_count() const;

  /// Writes, flushes and commits one batch. Throws StorageError (the file then
  /// still holds every earlier batch).
  void append(const ResultsBatch& batch);
  /// Closes the file; the destructor does the same, swallowing errors.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class ResultsReader {
 public:
  /// Opens read-only; throws StorageError when the file is not a mexa results file.
  explicit ResultsReader(const std::string& path);
  ~ResultsReader();
  ResultsReader(ResultsReader&&) noexcept;
  ResultsReader& operator=(ResultsReader&&) noexcept;

  const ResultsMeta& meta() const;
  int64_t clip_count() const;  ///< committed rows
  int64_t frame_count() const;
  int64_t interval_count() const;

  std::vector<ClipRow> clips(int64_t first = 0, int64_t count = -1) const;
  std::vector<FrameRow> frames(int64_t first = 0, int64_t count = -1) const;
  std::vector<IntervalRow> intervals(int64_t first = 0, int64_t count = -1) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mexa::io
