// io::ResultsReader: a results file read back, a SWMR reader of a file a
// scorer may still be writing (results.h). Columns come from results_columns.h.
#include <filesystem>

#include "mexa/io/results.h"
#include "results_file.h"

namespace mexa::io {

using h5::check;
using h5::Handle;
using h5::read_int64_attr;
using namespace detail;

namespace fs = std::filesystem;

struct ResultsReader::Impl {
  std::string path;
  ResultsMeta meta;
  Handle file;
  Tables tables;
  Shape shape;
  int64_t clip_rows = 0, frame_rows = 0, interval_rows = 0;
  h5::QuietErrors quiet;

  void open() {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw StorageError(path, "no such file");
    if (H5Fis_hdf5(path.c_str()) <= 0) throw StorageError(path, "not an HDF5 file");
    // Readers take no file lock: `mexa inspect` while a scorer starts or resumes
    // the file must not make the writer fail (SWMR keeps what a reader sees consistent).
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_file_locking(fapl.get(), false, true);
    hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
    // A writer that was killed (or is still running) leaves the SWMR "open for
    // writing" flag set: such a file opens as a SWMR reader.
    // A SWMR reader re-reads metadata whose checksum fails (a writer may be
    // mid-flush) up to 100 times with growing sleeps by default: a damaged
    // file then takes many seconds to be refused (found by fuzzing). A few
    // attempts cover a writer's flush.
    if (id < 0) {
      H5Pset_metadata_read_attempts(fapl.get(), 4);
      id = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl.get());
    }
    file = Handle(check(id, path, "cannot open results file"));
    const hid_t root = file.get();
    require_results_schema(root, path);
    meta.schema_version = static_cast<int>(read_int64_attr(root, path, "schema_version"));
    if (meta.schema_version != kResultsSchemaVersion)
      throw StorageError(path, "schema version " + std::to_string(meta.schema_version) + " is not supported");
    open_groups(root, path, tables);
    const int schema_version = meta.schema_version;
    meta = meta_of_file(root, tables, path);
    meta.schema_version = schema_version;

    shape = shape_of(meta, tables);
    open_columns(schema_for(shape), path, tables);
    Handle committed(check(H5Dopen2(root, kCommittedRows, H5P_DEFAULT), path, "open /committed_rows"));
    const auto rows = read_committed_rows(committed.get(), path);
    clip_rows = rows[0];
    frame_rows = rows[1];
    interval_rows = rows[2];
    check_committed(tables, rows, path, /*truncate=*/false);
  }

  static std::pair<hsize_t, hsize_t> range(int64_t first, int64_t count, int64_t total, const std::string& file) {
    if (first < 0 || first > total) throw StorageError(file, "row " + std::to_string(first) + " out of range");
    const int64_t n = count < 0 ? total - first : std::min(count, total - first);
    return {static_cast<hsize_t>(first), static_cast<hsize_t>(n)};
  }
};

ResultsReader::ResultsReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->open();
}
ResultsReader::~ResultsReader() = default;
ResultsReader::ResultsReader(ResultsReader&&) noexcept = default;
ResultsReader& ResultsReader::operator=(ResultsReader&&) noexcept = default;

const ResultsMeta& ResultsReader::meta() const { return impl_->meta; }
int64_t ResultsReader::clip_count() const { return impl_->clip_rows; }
int64_t ResultsReader::frame_count() const { return impl_->frame_rows; }
int64_t ResultsReader::interval_count() const { return impl_->interval_rows; }

std::vector<ClipRow> ResultsReader::clips(int64_t first_row, int64_t count) const {
  const auto [first, n] = Impl::range(first_row, count, impl_->clip_rows, impl_->path);
  return read_rows(impl_->tables.clips, clip_fields(), first, n, impl_->shape);
}

std::vector<FrameRow> ResultsReader::frames(int64_t first_row, int64_t count) const {
  const auto [first, n] = Impl::range(first_row, count, impl_->frame_rows, impl_->path);
  return read_rows(impl_->tables.frames, frame_fields(), first, n, impl_->shape);
}

std::vector<IntervalRow> ResultsReader::intervals(int64_t first_row, int64_t count) const {
  const auto [first, n] = Impl::range(first_row, count, impl_->interval_rows, impl_->path);
  return read_rows(impl_->tables.intervals, interval_fields(), first, n, impl_->shape);
}

}  // namespace mexa::io
