// io::ResultsWriter: the results file written one committed batch at a
// time, SWMR, crash-safe (results.h). Columns come from results_columns.h.
#include <unistd.h>

#include <filesystem>
#include <unordered_set>

#include "mexa/io/failpoint.h"
#include "mexa/io/results.h"
#include "mexa/version.h"
#include "results_file.h"
#include "writer_lock.h"

namespace mexa::io {

using h5::check;
using h5::check_status;
using h5::Handle;
using h5::read_int64_attr;
using h5::write_int64_attr;
using h5::write_string_attr;
using h5::write_strings_attr;
using namespace detail;

namespace fs = std::filesystem;

struct ResultsWriter::Impl {
  std::string path;
  WriterLock lock;  ///< one writer per results file, held until the writer is gone
  ResultsMeta meta;
  Handle file;
  Tables tables;
  int64_t clip_rows = 0, frame_rows = 0, interval_rows = 0;
  std::unordered_set<std::string> ids;
  Handle committed_rows;
  h5::QuietErrors quiet;

  /// The columns this writer writes: resuming a file written before some columns existed, without them.
  Shape shape;

  void set_shape() {
    shape.classes = meta.class_names.size();
    shape.feature_dim = static_cast<hsize_t>(meta.feature_dim);
    shape.landmarks = meta.frame_landmarks;
    shape.frame_probs = meta.frame_probs;
  }

  /// Newest file format: SWMR writing needs it (checksummed metadata, chunk
  /// indexes that only grow).
  static Handle file_access(bool clear_status_flags) {
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    if (clear_status_flags) {
      // A writer killed in SWMR mode leaves the "open for writing" flags set;
      // this is how h5clear resets them (a generic property of 1.10's fapl).
      hbool_t clear = 1;
      H5Pset(fapl.get(), "clear_status_flags", &clear);
    }
    return fapl;
  }

  /// Writes the empty schema to a temporary file, then renames it into place:
  /// a crash during creation leaves no half-made results file behind.
  void create() {
    const std::string temporary = path + ".creating-" + std::to_string(::getpid());
    std::error_code ec;
    try {
      create_at(temporary);
      close();
    } catch (...) {
      tables = Tables{};
      file = Handle();
      fs::remove(temporary, ec);
      throw;
    }
    fs::rename(temporary, path, ec);
    if (ec) {
      fs::remove(temporary, ec);
      throw StorageError(path, "cannot move the new results file into place: " + ec.message());
    }
    resume();
  }

  void create_at(const std::string& where) {
    Handle fcpl(H5Pcreate(H5P_FILE_CREATE));
    // No free-space reuse: space freed by a rewritten chunk is never handed
    // out again, so bytes the last committed state points to stay as they are.
    check_status(H5Pset_file_space_strategy(fcpl.get(), H5F_FSPACE_STRATEGY_NONE, 0, 1), path, "file space strategy");
    Handle fapl = file_access(false);
    file = Handle(check(H5Fcreate(where.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), path,
                        "cannot create results file"));
    const hid_t root = file.get();
    write_string_attr(root, path, "schema", kResultsSchema);
    write_int64_attr(root, path, "schema_version", kResultsSchemaVersion);
    write_string_attr(root, path, "engine_version", meta.engine_version);
    write_string_attr(root, path, "created_utc", meta.created_utc);
    write_strings_attr(root, path, "class_names", meta.class_names);
    write_string_attr(root, path, "model", meta.model);
    write_string_attr(root, path, "checkpoint_sha256", meta.checkpoint_sha256);
    write_string_attr(root, path, "config", meta.config);
    if (!meta.shard.empty()) {
      write_string_attr(root, path, "shard", meta.shard);
      write_int64_attr(root, path, "shard_batch", meta.shard_batch);
      write_int64_attr(root, path, "shard_inputs", meta.shard_inputs);
    }

    set_shape();
    create_tables(root, path, schema_for(shape), tables);

    const hsize_t three = 3;
    Handle space(H5Screate_simple(1, &three, nullptr));
    committed_rows = Handle(check(H5Dcreate2(root, kCommittedRows, H5T_STD_I64LE, space.get(), H5P_DEFAULT,
                                             H5P_DEFAULT, H5P_DEFAULT),
                                  path, "create /committed_rows"));
    write_string_attr(committed_rows.get(), path, "columns", "clips, frames, intervals");
    commit();
  }

  void resume() {
    Handle fapl = file_access(true);
    file = Handle(check(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()), path, "cannot open results file to resume"));
    const hid_t root = file.get();
    // A killed SWMR writer may have placed chunks past the end-of-allocation
    // recorded in the superblock; take the real end of file (h5clear --increment).
    check_status(H5Fincrement_filesize(root, 0), path, "adopt the end of file");
    require_results_schema(root, path);
    const int64_t version = read_int64_attr(root, path, "schema_version");
    if (version != kResultsSchemaVersion)
      throw StorageError(path, "schema version " + std::to_string(version) + " cannot be resumed by this mexa (writes " +
                                   std::to_string(kResultsSchemaVersion) + ")");
    // Everything that shapes the file, as the file has it, against this run's.
    open_groups(root, path, tables);
    const ResultsMeta existing = meta_of_file(root, tables, path);
    if (const auto why = resume_mismatch(existing, meta); !why.empty())
      throw StorageError(path, "cannot be resumed by this run: " + why);
    meta.created_utc = existing.created_utc;

    shape = shape_of(meta, tables);
    open_columns(schema_for(shape), path, tables);
    committed_rows = Handle(check(H5Dopen2(root, kCommittedRows, H5P_DEFAULT), path, "open /committed_rows"));
    const auto rows = read_committed_rows(committed_rows.get(), path);
    clip_rows = rows[0];
    frame_rows = rows[1];
    interval_rows = rows[2];
    // Roll back a batch that a crash cut short: rows past the committed count.
    check_committed(tables, rows, path, /*truncate=*/true);
    for (auto& id : tables.clips.at("id").read_strings(0, static_cast<hsize_t>(clip_rows))) ids.insert(std::move(id));
    // From here on every flush leaves a file that opens (SWMR write ordering).
    check_status(H5Fstart_swmr_write(root), path, "start SWMR writing");
  }

  void flush() { check_status(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), path, "flush"); }

  /// Records the row counts that readers may trust, after the rows themselves are on disk.
  /// `batch`: a batch's commit (the fault-injection point sits between the rows' flush and the count).
  void commit(bool batch = false) {
    flush();
    if (batch) failpoint("kill-before-commit");
    const int64_t rows[3] = {clip_rows, frame_rows, interval_rows};
    check_status(H5Dwrite(committed_rows.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows), path,
                 "write /committed_rows");
    flush();
  }

  void append(const ResultsBatch& batch) {
    if (!file.valid()) throw StorageError(path, "append after close");
    const size_t n_clips = batch.clips.size();
    for (const FrameRow& f : batch.frames)
      if (f.clip < 0 || static_cast<size_t>(f.clip) >= n_clips)
        throw StorageError(path, "frame row refers to clip " + std::to_string(f.clip) + " outside the batch");
    for (const IntervalRow& r : batch.intervals)
      if (r.clip < 0 || static_cast<size_t>(r.clip) >= n_clips)
        throw StorageError(path, "interval row refers to clip " + std::to_string(r.clip) + " outside the batch");

    // frame_start / frame_count per clip from the batch's frame rows.
    std::vector<int64_t> frame_start(n_clips, frame_rows), frame_count(n_clips, 0);
    for (size_t i = 0; i < batch.frames.size(); ++i) {
      const auto c = static_cast<size_t>(batch.frames[i].clip);
      if (frame_count[c] == 0) frame_start[c] = frame_rows + static_cast<int64_t>(i);
      ++frame_count[c];
    }

    std::vector<ClipRow> clips = batch.clips;  // with the frame rows they own
    for (size_t c = 0; c < n_clips; ++c) {
      clips[c].frame_start = frame_start[c];
      clips[c].frame_count = frame_count[c];
    }
    write_rows(tables.clips, clip_fields(), clips, static_cast<hsize_t>(clip_rows), shape, clip_rows, path);
    write_rows(tables.frames, frame_fields(), batch.frames, static_cast<hsize_t>(frame_rows), shape, clip_rows, path);
    write_rows(tables.intervals, interval_fields(), batch.intervals, static_cast<hsize_t>(interval_rows), shape,
               clip_rows, path);
    clip_rows += static_cast<int64_t>(n_clips);
    frame_rows += static_cast<int64_t>(batch.frames.size());
    interval_rows += static_cast<int64_t>(batch.intervals.size());
    failpoint("kill-mid-batch");
    commit(/*batch=*/true);
    for (const ClipRow& c : batch.clips) ids.insert(stored_clip_id(c.id));
    failpoint("kill-after-commit");
    failpoint("interrupt-after-commit");
  }

  void close() {
    if (!file.valid()) return;
    tables = Tables{};
    committed_rows = Handle();
    check_status(H5Fclose(file.release()), path, "close");
  }
};

ResultsWriter::ResultsWriter(const std::string& path, const ResultsMeta& meta, Mode mode)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->meta = meta;
  if (meta.class_names.empty()) throw StorageError(path, "results need at least one class name");
  if (meta.feature_dim < 1) throw StorageError(path, "apex feature dimension must be at least 1");
  check_failpoints();  // a malformed MEXA_FAILPOINT fails before the file is touched
  impl_->lock = WriterLock(path);  // before the file is created, replaced or resumed
  impl_->meta.engine_version = MEXA_VERSION;
  impl_->meta.created_utc = utc_now();
  std::error_code ec;
  const bool exists = fs::exists(path, ec);
  switch (mode) {
    case Mode::Create:
      if (exists) throw StorageError(path, "already exists (resume it, or choose another output)");
      impl_->create();
      break;
    case Mode::Overwrite: impl_->create(); break;
    case Mode::Resume:
      if (exists)
        impl_->resume();
      else
        impl_->create();
      break;
  }
}

ResultsWriter::~ResultsWriter() {
  if (!impl_) return;
  try {
    impl_->close();
  } catch (const std::exception&) {
    // Destructors must not throw; every committed batch is on disk already.
  }
}
ResultsWriter::ResultsWriter(ResultsWriter&&) noexcept = default;
ResultsWriter& ResultsWriter::operator=(ResultsWriter&&) noexcept = default;

bool ResultsWriter::contains(const std::string& clip_id) const {
  return impl_->ids.count(stored_clip_id(clip_id)) > 0;
}
int64_t ResultsWriter::clip_count() const { return impl_->clip_rows; }
int64_t ResultsWriter::frame_count() const { return impl_->frame_rows; }
int64_t ResultsWriter::interval_count() const { return impl_->interval_rows; }
void ResultsWriter::append(const ResultsBatch& batch) { impl_->append(batch); }
void ResultsWriter::close() { impl_->close(); }

}  // namespace mexa::io
