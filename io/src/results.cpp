#include "mexa/io/results.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <unistd.h>

#include "hdf5_handle.h"
#include "mexa/io/errors.h"
#include "mexa/io/failpoint.h"
#include "mexa/version.h"
#include "writer_lock.h"


namespace mexa::io {

using h5::check;
using h5::check_status;
using h5::Handle;

namespace {

namespace fs = std::filesystem;

constexpr hsize_t kClipChunkRows = 256;
constexpr hsize_t kFrameChunkRows = 4096;
constexpr hsize_t kIntervalChunkRows = 256;
constexpr int kGzipLevel = 4;
constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

/// Fixed-length strings in the columns: SWMR writing (our crash safety) does
/// not cover variable-length data, whose bytes live in the global heap.
Handle fixed_string_type(size_t width) {
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}


// ---------------------------------------------------------------- attributes

void write_string_attr(hid_t object, const std::string& file, const char* name, const std::string& value) {
  const std::string text = valid_utf8(value);  // the attribute is tagged UTF-8 (h5py decodes it)
  Handle type = h5::vlen_string_type();
  Handle space(H5Screate(H5S_SCALAR));
  if (H5Aexists(object, name) > 0) H5Adelete(object, name);
  Handle attr(check(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), file, name));
  const char* data = text.c_str();
  check_status(H5Awrite(attr.get(), type.get(), &data), file, std::string("write attribute ") + name);
}

void write_strings_attr(hid_t object, const std::string& file, const char* name, const std::vector<std::string>& values) {
  Handle type = h5::vlen_string_type();
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr));
  if (H5Aexists(object, name) > 0) H5Adelete(object, name);
  Handle attr(check(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), file, name));
  std::vector<const char*> data;
  for (const auto& v : values) data.push_back(v.c_str());
  check_status(H5Awrite(attr.get(), type.get(), data.data()), file, std::string("write attribute ") + name);
}

void write_int64_attr(hid_t object, const std::string& file, const char* name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR));
  Handle attr;
  if (H5Aexists(object, name) > 0)
    attr = Handle(check(H5Aopen(object, name, H5P_DEFAULT), file, name));
  else
    attr = Handle(check(H5Acreate2(object, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT), file, name));
  check_status(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), file, std::string("write attribute ") + name);
}

std::vector<std::string> read_strings_attr(hid_t object, const std::string& file, const char* name) {
  if (H5Aexists(object, name) <= 0) throw StorageError(file, std::string("missing attribute '") + name + "'");
  Handle attr(check(H5Aopen(object, name, H5P_DEFAULT), file, name));
  Handle space(H5Aget_space(attr.get()));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<char*> data(static_cast<size_t>(std::max<hssize_t>(n, 0)), nullptr);
  Handle type = h5::vlen_string_type();
  check_status(H5Aread(attr.get(), type.get(), data.data()), file, std::string("read attribute ") + name);
  std::vector<std::string> values;
  for (char* s : data) values.emplace_back(s ? s : "");
  H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, data.data());
  return values;
}

std::string read_string_attr(hid_t object, const std::string& file, const char* name) {
  auto values = read_strings_attr(object, file, name);
  return values.empty() ? std::string() : values.front();
}

int64_t read_int64_attr(hid_t object, const std::string& file, const char* name) {
  if (H5Aexists(object, name) <= 0) throw StorageError(file, std::string("missing attribute '") + name + "'");
  Handle attr(check(H5Aopen(object, name, H5P_DEFAULT), file, name));
  int64_t value = 0;
  check_status(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), file, std::string("read attribute ") + name);
  return value;
}

// ---------------------------------------------------------------- columns

/// One dataset of a group: rows along an unlimited first axis, fixed inner shape.
class Column {
 public:
  Column() = default;

  static Column create(hid_t group, const std::string& file, const std::string& name, hid_t type,
                       std::vector<hsize_t> inner, hsize_t chunk_rows) {
    Column c(file, name, inner);
    std::vector<hsize_t> dims{0}, max_dims{H5S_UNLIMITED}, chunk{chunk_rows};
    for (hsize_t d : inner) {
      dims.push_back(d);
      max_dims.push_back(d);
      chunk.push_back(d);
    }
    Handle space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()), file, name));
    Handle props(H5Pcreate(H5P_DATASET_CREATE));
    check_status(H5Pset_chunk(props.get(), static_cast<int>(chunk.size()), chunk.data()), file, name);
    check_status(H5Pset_shuffle(props.get()), file, name);
    check_status(H5Pset_deflate(props.get(), kGzipLevel), file, name);
    c.dataset_ = Handle(check(H5Dcreate2(group, name.c_str(), type, space.get(), H5P_DEFAULT, props.get(), H5P_DEFAULT),
                              file, "create dataset " + name));
    return c;
  }

  static Column open(hid_t group, const std::string& file, const std::string& name) {
    if (H5Lexists(group, name.c_str(), H5P_DEFAULT) <= 0) throw StorageError(file, "missing dataset '" + name + "'");
    Column c(file, name, {});
    c.dataset_ = Handle(check(H5Dopen2(group, name.c_str(), H5P_DEFAULT), file, "open dataset " + name));
    Handle space(H5Dget_space(c.dataset_.get()));
    const int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 1)));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    c.inner_.assign(dims.begin() + 1, dims.end());
    return c;
  }

  bool valid() const { return dataset_.valid(); }
  const std::vector<hsize_t>& inner() const { return inner_; }
  hsize_t row_elements() const {
    hsize_t n = 1;
    for (hsize_t d : inner_) n *= d;
    return n;
  }

  hsize_t rows() const {
    Handle space(H5Dget_space(dataset_.get()));
    hsize_t dims[3] = {};
    H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    return dims[0];
  }

  void resize(hsize_t rows) {
    std::vector<hsize_t> dims{rows};
    dims.insert(dims.end(), inner_.begin(), inner_.end());
    check_status(H5Dset_extent(dataset_.get(), dims.data()), file_, "resize " + name_);
  }

  /// Writes `count` rows at `first`, growing the dataset when needed.
  void write(hsize_t first, hsize_t count, hid_t memory_type, const void* data) {
    if (count == 0) return;
    if (rows() < first + count) resize(first + count);
    Handle file_space(H5Dget_space(dataset_.get()));
    std::vector<hsize_t> start{first}, extent{count};
    for (hsize_t d : inner_) {
      start.push_back(0);
      extent.push_back(d);
    }
    check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr),
                 file_, name_);
    Handle memory_space(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr));
    check_status(H5Dwrite(dataset_.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), file_,
                 "write " + name_);
  }

  void read(hsize_t first, hsize_t count, hid_t memory_type, void* data) const {
    if (count == 0) return;
    Handle file_space(H5Dget_space(dataset_.get()));
    std::vector<hsize_t> start{first}, extent{count};
    for (hsize_t d : inner_) {
      start.push_back(0);
      extent.push_back(d);
    }
    check_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr),
                 file_, name_);
    Handle memory_space(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr));
    check_status(H5Dread(dataset_.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), file_,
                 "read " + name_);
  }

  /// Width in bytes of a fixed-length string column (0 for other columns).
  size_t string_width() const {
    Handle type(H5Dget_type(dataset_.get()));
    return H5Tget_class(type.get()) == H5T_STRING ? H5Tget_size(type.get()) : 0;
  }

  std::vector<std::string> read_strings(hsize_t first, hsize_t count) const {
    const size_t width = string_width();
    std::vector<char> raw(count * width);
    Handle type = fixed_string_type(width);
    read(first, count, type.get(), raw.data());
    std::vector<std::string> values;
    values.reserve(count);
    for (hsize_t i = 0; i < count; ++i) {
      const char* begin = raw.data() + i * width;
      values.emplace_back(begin, strnlen(begin, width));
    }
    return values;
  }

  /// Writes strings. One longer than the column's width is cut (`truncate`,
  /// for free text such as error messages) or stored as stored_text(): a hash
  /// of the whole text and its tail, unique and the same on every run.
  void write_strings(hsize_t first, const std::vector<const std::string*>& values, bool truncate) {
    const size_t width = string_width();
    std::vector<char> raw(values.size() * width, '\0');
    for (size_t i = 0; i < values.size(); ++i) {
      const std::string value = valid_utf8(*values[i]);
      if (value.size() > width && !truncate) {
        const std::string stored = stored_text(value, width);
        std::memcpy(raw.data() + i * width, stored.data(), stored.size());
        continue;
      }
      size_t n = std::min(value.size(), width);
      while (n < value.size() && n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;  // whole UTF-8 characters
      std::memcpy(raw.data() + i * width, value.data(), n);
    }
    Handle type = fixed_string_type(width);
    write(first, values.size(), type.get(), raw.data());
  }

 private:
  Column(std::string file, std::string name, std::vector<hsize_t> inner)
      : file_(std::move(file)), name_(std::move(name)), inner_(std::move(inner)) {}

  std::string file_;
  std::string name_;
  std::vector<hsize_t> inner_;
  Handle dataset_;
};

/// Copies a per-row vector into a dense [rows, width] buffer; missing rows are NaN.
template <typename Row, typename Get>
std::vector<float> dense(const std::vector<Row>& rows, size_t width, Get get, const std::string& file,
                         const char* what) {
  std::vector<float> out(rows.size() * width, kMissing);
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::vector<float>& values = get(rows[i]);
    if (values.empty()) continue;
    if (values.size() != width)
      throw StorageError(file, std::string(what) + " of row " + std::to_string(i) + " has " +
                                   std::to_string(values.size()) + " values, expected " + std::to_string(width));
    std::copy(values.begin(), values.end(), out.begin() + static_cast<std::ptrdiff_t>(i * width));
  }
  return out;
}

template <typename T, typename Row, typename Get>
std::vector<T> gather(const std::vector<Row>& rows, Get get) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const Row& r : rows) out.push_back(static_cast<T>(get(r)));
  return out;
}

std::vector<float> split_row(const std::vector<float>& all, size_t row, size_t width) {
  const auto begin = all.begin() + static_cast<std::ptrdiff_t>(row * width);
  return {begin, begin + static_cast<std::ptrdiff_t>(width)};
}

// Column names and element types of schema v1, in file order.
struct ColumnSpec {
  const char* name;
  hid_t file_type;  // resolved at run time: H5T_* are not constants
  std::vector<hsize_t> inner;
  size_t string_width = 0;  // > 0: a fixed-length string column of this many bytes
};

// String column widths (bytes, UTF-8). Error messages longer than their width
// are cut; ids, paths and subjects longer than theirs are refused.
constexpr size_t kIdWidth = 256;
constexpr size_t kSourceWidth = 1024;
constexpr size_t kSubjectWidth = 128;
constexpr size_t kErrorWidth = 1024;

}  // namespace

std::string stored_clip_id(const std::string& id) { return stored_text(id, kIdWidth); }

std::string with_h5_suffix(const std::string& path, const std::string& suffix) {
  const auto dot = path.rfind(".h5");
  return dot != std::string::npos && dot + 3 == path.size() ? path.substr(0, dot) + suffix + ".h5" : path + suffix;
}

namespace {

/// The three groups' columns, opened or created.
struct Tables {
  Handle clips_group, frames_group, intervals_group;
  std::map<std::string, Column> clips, frames, intervals;
};

struct Schema {
  std::vector<ColumnSpec> clips, frames, intervals;
};

/// Columns added after schema version 1 was released: files written before
/// them lack them (readers give a default, a resumed file is appended without them).
struct LaterColumns {
  bool face_id = true;     ///< /frames/face_id (absent: 0 with a face, else -1)
  bool face_found = true;  ///< /clips/face_found (absent: true)
};

LaterColumns later_columns_of(const Tables& tables) {
  return {H5Lexists(tables.frames_group.get(), "face_id", H5P_DEFAULT) > 0,
          H5Lexists(tables.clips_group.get(), "face_found", H5P_DEFAULT) > 0};
}

Schema schema_for(hsize_t classes, hsize_t feature_dim, bool landmarks, bool frame_probs, LaterColumns later = {}) {
  const hid_t str = -1;
  Schema s;
  s.clips = {
      {"id", str, {}, kIdWidth},
      {"source", str, {}, kSourceWidth},
      {"subject", str, {}, kSubjectWidth},
      {"status", H5T_STD_I8LE, {}},
      {"error", str, {}, kErrorWidth},
      {"fps", H5T_IEEE_F64LE, {}},
      {"n_frames", H5T_STD_I64LE, {}},
      {"onset", H5T_STD_I32LE, {}},
      {"apex", H5T_STD_I32LE, {}},
      {"offset", H5T_STD_I32LE, {}},
      {"apex_source", H5T_STD_I8LE, {}},
      {"label", H5T_STD_I16LE, {}},
      {"pred", H5T_STD_I16LE, {}},
      {"probs", H5T_IEEE_F32LE, {classes}},
      {"apex_feature", H5T_IEEE_F32LE, {feature_dim}},
      {"frame_start", H5T_STD_I64LE, {}},
      {"frame_count", H5T_STD_I64LE, {}},
  };
  if (later.face_found) s.clips.push_back({"face_found", H5T_STD_U8LE, {}});
  s.frames = {
      {"clip", H5T_STD_I64LE, {}},
      {"index", H5T_STD_I64LE, {}},
      {"time", H5T_IEEE_F64LE, {}},
      {"face_box", H5T_IEEE_F32LE, {4}},
      {"face_confidence", H5T_IEEE_F32LE, {}},
      {"success", H5T_STD_U8LE, {}},
      {"motion", H5T_IEEE_F32LE, {}},
      {"phase", H5T_STD_I8LE, {}},
  };
  if (later.face_id) s.frames.push_back({"face_id", H5T_STD_I32LE, {}});
  if (landmarks) s.frames.push_back({"landmarks", H5T_IEEE_F32LE, {kLandmarkCount, 2}});
  if (frame_probs) s.frames.push_back({"probs", H5T_IEEE_F32LE, {classes}});
  s.intervals = {
      {"clip", H5T_STD_I64LE, {}},
      {"onset", H5T_STD_I32LE, {}},
      {"apex", H5T_STD_I32LE, {}},
      {"offset", H5T_STD_I32LE, {}},
      {"score", H5T_IEEE_F32LE, {}},
      {"pred", H5T_STD_I16LE, {}},
      {"probs", H5T_IEEE_F32LE, {classes}},
  };
  return s;
}

void create_columns(hid_t group, const std::string& file, const std::vector<ColumnSpec>& specs, hsize_t chunk_rows,
                    std::map<std::string, Column>& out) {
  for (const ColumnSpec& spec : specs) {
    Handle str = fixed_string_type(std::max<size_t>(spec.string_width, 1));
    const hid_t type = spec.string_width > 0 ? str.get() : spec.file_type;
    out.emplace(spec.name, Column::create(group, file, spec.name, type, spec.inner, chunk_rows));
  }
}

/// Throws unless `root` carries schema = mexa-results.
void require_results_schema(hid_t root, const std::string& file) {
  if (H5Aexists(root, "schema") <= 0 || read_string_attr(root, file, "schema") != kResultsSchema)
    throw StorageError(file, "not a mexa results file (no 'schema' attribute equal to mexa-results)");
}

/// Opens /clips, /frames and /intervals (the column datasets are opened by open_columns).
void open_groups(hid_t root, const std::string& file, Tables& tables) {
  tables.clips_group = Handle(check(H5Gopen2(root, "clips", H5P_DEFAULT), file, "/clips"));
  tables.frames_group = Handle(check(H5Gopen2(root, "frames", H5P_DEFAULT), file, "/frames"));
  tables.intervals_group = Handle(check(H5Gopen2(root, "intervals", H5P_DEFAULT), file, "/intervals"));
}

void open_columns(hid_t group, const std::string& file, const std::vector<ColumnSpec>& specs,
                  std::map<std::string, Column>& out) {
  for (const ColumnSpec& spec : specs) {
    Column c = Column::open(group, file, spec.name);
    if (c.inner() != spec.inner)
      throw StorageError(file, std::string("dataset '") + spec.name + "' has another shape than this run writes");
    out.emplace(spec.name, std::move(c));
  }
}

void open_columns(const Schema& schema, const std::string& file, Tables& tables) {
  open_columns(tables.clips_group.get(), file, schema.clips, tables.clips);
  open_columns(tables.frames_group.get(), file, schema.frames, tables.frames);
  open_columns(tables.intervals_group.get(), file, schema.intervals, tables.intervals);
}

}  // namespace

/// The provenance attributes and the column shapes of an opened file (groups open).
ResultsMeta meta_of_file(hid_t root, const Tables& tables, const std::string& path) {
  ResultsMeta meta;
  meta.class_names = read_strings_attr(root, path, "class_names");
  meta.model = read_string_attr(root, path, "model");
  meta.checkpoint_sha256 = read_string_attr(root, path, "checkpoint_sha256");
  meta.config = read_string_attr(root, path, "config");
  meta.engine_version = read_string_attr(root, path, "engine_version");
  meta.created_utc = read_string_attr(root, path, "created_utc");
  if (H5Aexists(root, "shard") > 0) meta.shard = read_string_attr(root, path, "shard");
  if (H5Aexists(root, "shard_batch") > 0) meta.shard_batch = read_int64_attr(root, path, "shard_batch");
  if (H5Aexists(root, "shard_inputs") > 0) meta.shard_inputs = read_int64_attr(root, path, "shard_inputs");
  meta.frame_landmarks = H5Lexists(tables.frames_group.get(), "landmarks", H5P_DEFAULT) > 0;
  meta.frame_probs = H5Lexists(tables.frames_group.get(), "probs", H5P_DEFAULT) > 0;
  const Column feature = Column::open(tables.clips_group.get(), path, "apex_feature");
  meta.feature_dim = feature.inner().empty() ? 0 : static_cast<int>(feature.inner()[0]);
  return meta;
}

constexpr const char* kCommittedRows = "committed_rows";

/// Row counts of /clips, /frames and /intervals that the last commit made durable.
std::array<int64_t, 3> read_committed_rows(hid_t dataset, const std::string& file) {
  std::array<int64_t, 3> rows{};
  check_status(H5Dread(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), file,
               "read /committed_rows");
  for (int64_t r : rows)
    if (r < 0) throw StorageError(file, "negative committed row count; the file is damaged");
  return rows;
}

/// Checks every column holds at least its group's committed rows; with
/// `truncate`, drops rows beyond them (a batch a crash cut short).
void check_committed(Tables& tables, const std::array<int64_t, 3>& rows, const std::string& file, bool truncate) {
  std::map<std::string, Column>* groups[3] = {&tables.clips, &tables.frames, &tables.intervals};
  for (int g = 0; g < 3; ++g) {
    for (auto& [name, column] : *groups[g]) {
      const hsize_t have = column.rows();
      const auto want = static_cast<hsize_t>(rows[static_cast<size_t>(g)]);
      if (have < want)
        throw StorageError(file, "dataset '" + name + "' holds fewer rows than committed; the file is damaged");
      if (truncate && have > want) column.resize(want);
    }
  }
}

// ---------------------------------------------------------------- writer

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

  LaterColumns later;  ///< resuming a file written before some columns existed: without them

  Schema schema() const {
    return schema_for(meta.class_names.size(), static_cast<hsize_t>(meta.feature_dim), meta.frame_landmarks,
                      meta.frame_probs, later);
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

    const Schema s = schema();
    tables.clips_group = Handle(check(H5Gcreate2(root, "clips", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path, "/clips"));
    tables.frames_group = Handle(check(H5Gcreate2(root, "frames", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path, "/frames"));
    tables.intervals_group =
        Handle(check(H5Gcreate2(root, "intervals", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), path, "/intervals"));
    create_columns(tables.clips_group.get(), path, s.clips, kClipChunkRows, tables.clips);
    create_columns(tables.frames_group.get(), path, s.frames, kFrameChunkRows, tables.frames);
    create_columns(tables.intervals_group.get(), path, s.intervals, kIntervalChunkRows, tables.intervals);

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

    later = later_columns_of(tables);
    open_columns(schema(), path, tables);
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
    const size_t classes = meta.class_names.size();
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

    write_clips(batch.clips, frame_start, frame_count, classes);
    write_frames(batch.frames, classes);
    write_intervals(batch.intervals, classes);
    clip_rows += static_cast<int64_t>(n_clips);
    frame_rows += static_cast<int64_t>(batch.frames.size());
    interval_rows += static_cast<int64_t>(batch.intervals.size());
    failpoint("kill-mid-batch");
    commit(/*batch=*/true);
    for (const ClipRow& c : batch.clips) ids.insert(stored_clip_id(c.id));
    failpoint("kill-after-commit");
    failpoint("interrupt-after-commit");
  }

  template <typename T>
  static void put(Column& column, hsize_t first, const std::vector<T>& values, hid_t type) {
    column.write(first, values.size() / std::max<hsize_t>(column.row_elements(), 1), type, values.data());
  }

  void write_clips(const std::vector<ClipRow>& rows, const std::vector<int64_t>& frame_start,
                   const std::vector<int64_t>& frame_count, size_t classes) {
    if (rows.empty()) return;
    auto& t = tables.clips;
    const auto first = static_cast<hsize_t>(clip_rows);
    std::vector<const std::string*> ids_, sources, subjects, errors;
    for (const ClipRow& r : rows) {
      ids_.push_back(&r.id);
      sources.push_back(&r.source);
      subjects.push_back(&r.subject);
      errors.push_back(&r.error);
    }
    t.at("id").write_strings(first, ids_, /*truncate=*/false);
    t.at("source").write_strings(first, sources, /*truncate=*/false);
    t.at("subject").write_strings(first, subjects, /*truncate=*/false);
    t.at("error").write_strings(first, errors, /*truncate=*/true);
    put(t.at("status"), first, gather<int8_t>(rows, [](const ClipRow& r) { return r.status; }), H5T_NATIVE_INT8);
    put(t.at("fps"), first, gather<double>(rows, [](const ClipRow& r) { return r.fps; }), H5T_NATIVE_DOUBLE);
    put(t.at("n_frames"), first, gather<int64_t>(rows, [](const ClipRow& r) { return r.n_frames; }), H5T_NATIVE_INT64);
    put(t.at("onset"), first, gather<int32_t>(rows, [](const ClipRow& r) { return r.onset; }), H5T_NATIVE_INT32);
    put(t.at("apex"), first, gather<int32_t>(rows, [](const ClipRow& r) { return r.apex; }), H5T_NATIVE_INT32);
    put(t.at("offset"), first, gather<int32_t>(rows, [](const ClipRow& r) { return r.offset; }), H5T_NATIVE_INT32);
    put(t.at("apex_source"), first, gather<int8_t>(rows, [](const ClipRow& r) { return r.apex_source; }),
        H5T_NATIVE_INT8);
    put(t.at("label"), first, gather<int16_t>(rows, [](const ClipRow& r) { return r.label; }), H5T_NATIVE_INT16);
    put(t.at("pred"), first, gather<int16_t>(rows, [](const ClipRow& r) { return r.pred; }), H5T_NATIVE_INT16);
    put(t.at("probs"), first, dense(rows, classes, [](const ClipRow& r) -> auto& { return r.probs; }, path, "probs"),
        H5T_NATIVE_FLOAT);
    put(t.at("apex_feature"), first,
        dense(rows, static_cast<size_t>(meta.feature_dim), [](const ClipRow& r) -> auto& { return r.apex_feature; },
              path, "apex_feature"),
        H5T_NATIVE_FLOAT);
    put(t.at("frame_start"), first, frame_start, H5T_NATIVE_INT64);
    put(t.at("frame_count"), first, frame_count, H5T_NATIVE_INT64);
    if (later.face_found)
      put(t.at("face_found"), first, gather<uint8_t>(rows, [](const ClipRow& r) { return r.face_found ? 1 : 0; }),
          H5T_NATIVE_UINT8);
  }

  void write_frames(const std::vector<FrameRow>& rows, size_t classes) {
    if (rows.empty()) return;
    auto& t = tables.frames;
    const auto first = static_cast<hsize_t>(frame_rows);
    const int64_t clip_base = clip_rows;
    put(t.at("clip"), first, gather<int64_t>(rows, [&](const FrameRow& r) { return clip_base + r.clip; }),
        H5T_NATIVE_INT64);
    put(t.at("index"), first, gather<int64_t>(rows, [](const FrameRow& r) { return r.index; }), H5T_NATIVE_INT64);
    put(t.at("time"), first, gather<double>(rows, [](const FrameRow& r) { return r.time; }), H5T_NATIVE_DOUBLE);
    std::vector<float> boxes;
    boxes.reserve(rows.size() * 4);
    for (const FrameRow& r : rows) boxes.insert(boxes.end(), r.face_box.begin(), r.face_box.end());
    put(t.at("face_box"), first, boxes, H5T_NATIVE_FLOAT);
    put(t.at("face_confidence"), first, gather<float>(rows, [](const FrameRow& r) { return r.face_confidence; }),
        H5T_NATIVE_FLOAT);
    put(t.at("success"), first, gather<uint8_t>(rows, [](const FrameRow& r) { return r.success; }), H5T_NATIVE_UINT8);
    put(t.at("motion"), first, gather<float>(rows, [](const FrameRow& r) { return r.motion; }), H5T_NATIVE_FLOAT);
    put(t.at("phase"), first, gather<int8_t>(rows, [](const FrameRow& r) { return r.phase; }), H5T_NATIVE_INT8);
    if (later.face_id)
      put(t.at("face_id"), first, gather<int32_t>(rows, [](const FrameRow& r) { return r.face_id; }), H5T_NATIVE_INT32);
    if (meta.frame_landmarks)
      put(t.at("landmarks"), first,
          dense(rows, kLandmarkCount * 2, [](const FrameRow& r) -> auto& { return r.landmarks; }, path, "landmarks"),
          H5T_NATIVE_FLOAT);
    if (meta.frame_probs)
      put(t.at("probs"), first, dense(rows, classes, [](const FrameRow& r) -> auto& { return r.probs; }, path, "probs"),
          H5T_NATIVE_FLOAT);
  }

  void write_intervals(const std::vector<IntervalRow>& rows, size_t classes) {
    if (rows.empty()) return;
    auto& t = tables.intervals;
    const auto first = static_cast<hsize_t>(interval_rows);
    const int64_t clip_base = clip_rows;
    put(t.at("clip"), first, gather<int64_t>(rows, [&](const IntervalRow& r) { return clip_base + r.clip; }),
        H5T_NATIVE_INT64);
    put(t.at("onset"), first, gather<int32_t>(rows, [](const IntervalRow& r) { return r.onset; }), H5T_NATIVE_INT32);
    put(t.at("apex"), first, gather<int32_t>(rows, [](const IntervalRow& r) { return r.apex; }), H5T_NATIVE_INT32);
    put(t.at("offset"), first, gather<int32_t>(rows, [](const IntervalRow& r) { return r.offset; }), H5T_NATIVE_INT32);
    put(t.at("score"), first, gather<float>(rows, [](const IntervalRow& r) { return r.score; }), H5T_NATIVE_FLOAT);
    put(t.at("pred"), first, gather<int16_t>(rows, [](const IntervalRow& r) { return r.pred; }), H5T_NATIVE_INT16);
    put(t.at("probs"), first, dense(rows, classes, [](const IntervalRow& r) -> auto& { return r.probs; }, path, "probs"),
        H5T_NATIVE_FLOAT);
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

// ---------------------------------------------------------------- reader

struct ResultsReader::Impl {
  std::string path;
  ResultsMeta meta;
  Handle file;
  Tables tables;
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

    open_columns(schema_for(meta.class_names.size(), static_cast<hsize_t>(meta.feature_dim), meta.frame_landmarks,
                            meta.frame_probs, later_columns_of(tables)),
                 path, tables);
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

  template <typename T>
  static std::vector<T> get(const Column& column, hsize_t first, hsize_t n, hid_t type) {
    std::vector<T> values(n * column.row_elements());
    column.read(first, n, type, values.data());
    return values;
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
  const auto& t = impl_->tables.clips;
  const size_t classes = impl_->meta.class_names.size();
  const auto features = static_cast<size_t>(impl_->meta.feature_dim);
  const auto ids = t.at("id").read_strings(first, n);
  const auto sources = t.at("source").read_strings(first, n);
  const auto subjects = t.at("subject").read_strings(first, n);
  const auto errors = t.at("error").read_strings(first, n);
  const auto status = Impl::get<int8_t>(t.at("status"), first, n, H5T_NATIVE_INT8);
  const auto fps = Impl::get<double>(t.at("fps"), first, n, H5T_NATIVE_DOUBLE);
  const auto n_frames = Impl::get<int64_t>(t.at("n_frames"), first, n, H5T_NATIVE_INT64);
  const auto onset = Impl::get<int32_t>(t.at("onset"), first, n, H5T_NATIVE_INT32);
  const auto apex = Impl::get<int32_t>(t.at("apex"), first, n, H5T_NATIVE_INT32);
  const auto offset = Impl::get<int32_t>(t.at("offset"), first, n, H5T_NATIVE_INT32);
  const auto apex_source = Impl::get<int8_t>(t.at("apex_source"), first, n, H5T_NATIVE_INT8);
  const auto label = Impl::get<int16_t>(t.at("label"), first, n, H5T_NATIVE_INT16);
  const auto pred = Impl::get<int16_t>(t.at("pred"), first, n, H5T_NATIVE_INT16);
  const auto probs = Impl::get<float>(t.at("probs"), first, n, H5T_NATIVE_FLOAT);
  const auto feature = Impl::get<float>(t.at("apex_feature"), first, n, H5T_NATIVE_FLOAT);
  const auto frame_start = Impl::get<int64_t>(t.at("frame_start"), first, n, H5T_NATIVE_INT64);
  const auto frame_count = Impl::get<int64_t>(t.at("frame_count"), first, n, H5T_NATIVE_INT64);
  std::vector<uint8_t> face_found;  // files from before the column: every clip's face found
  if (t.count("face_found")) face_found = Impl::get<uint8_t>(t.at("face_found"), first, n, H5T_NATIVE_UINT8);
  std::vector<ClipRow> rows(n);
  for (size_t i = 0; i < n; ++i) {
    ClipRow& r = rows[i];
    r.id = ids[i];
    r.source = sources[i];
    r.subject = subjects[i];
    r.error = errors[i];
    r.status = static_cast<ClipStatus>(status[i]);
    r.fps = fps[i];
    r.n_frames = n_frames[i];
    r.onset = onset[i];
    r.apex = apex[i];
    r.offset = offset[i];
    r.apex_source = apex_source[i];
    r.label = label[i];
    r.pred = pred[i];
    r.probs = split_row(probs, i, classes);
    r.apex_feature = split_row(feature, i, features);
    r.frame_start = frame_start[i];
    r.frame_count = frame_count[i];
    r.face_found = face_found.empty() || face_found[i] != 0;
  }
  return rows;
}

std::vector<FrameRow> ResultsReader::frames(int64_t first_row, int64_t count) const {
  const auto [first, n] = Impl::range(first_row, count, impl_->frame_rows, impl_->path);
  const auto& t = impl_->tables.frames;
  const size_t classes = impl_->meta.class_names.size();
  const auto clip = Impl::get<int64_t>(t.at("clip"), first, n, H5T_NATIVE_INT64);
  const auto index = Impl::get<int64_t>(t.at("index"), first, n, H5T_NATIVE_INT64);
  const auto time = Impl::get<double>(t.at("time"), first, n, H5T_NATIVE_DOUBLE);
  const auto box = Impl::get<float>(t.at("face_box"), first, n, H5T_NATIVE_FLOAT);
  const auto confidence = Impl::get<float>(t.at("face_confidence"), first, n, H5T_NATIVE_FLOAT);
  const auto success = Impl::get<uint8_t>(t.at("success"), first, n, H5T_NATIVE_UINT8);
  const auto motion = Impl::get<float>(t.at("motion"), first, n, H5T_NATIVE_FLOAT);
  const auto phase = Impl::get<int8_t>(t.at("phase"), first, n, H5T_NATIVE_INT8);
  std::vector<int32_t> face_id;
  if (t.count("face_id")) face_id = Impl::get<int32_t>(t.at("face_id"), first, n, H5T_NATIVE_INT32);
  std::vector<float> landmarks, probs;
  if (impl_->meta.frame_landmarks) landmarks = Impl::get<float>(t.at("landmarks"), first, n, H5T_NATIVE_FLOAT);
  if (impl_->meta.frame_probs) probs = Impl::get<float>(t.at("probs"), first, n, H5T_NATIVE_FLOAT);
  std::vector<FrameRow> rows(n);
  for (size_t i = 0; i < n; ++i) {
    FrameRow& r = rows[i];
    r.clip = clip[i];
    r.index = index[i];
    r.time = time[i];
    std::copy_n(box.begin() + static_cast<std::ptrdiff_t>(i * 4), 4, r.face_box.begin());
    r.face_confidence = confidence[i];
    r.success = success[i];
    r.motion = motion[i];
    r.phase = static_cast<FramePhase>(phase[i]);
    r.face_id = face_id.empty() ? (r.success ? 0 : -1) : face_id[i];
    if (!landmarks.empty()) r.landmarks = split_row(landmarks, i, kLandmarkCount * 2);
    if (!probs.empty()) r.probs = split_row(probs, i, classes);
  }
  return rows;
}

std::vector<IntervalRow> ResultsReader::intervals(int64_t first_row, int64_t count) const {
  const auto [first, n] = Impl::range(first_row, count, impl_->interval_rows, impl_->path);
  const auto& t = impl_->tables.intervals;
  const size_t classes = impl_->meta.class_names.size();
  const auto clip = Impl::get<int64_t>(t.at("clip"), first, n, H5T_NATIVE_INT64);
  const auto onset = Impl::get<int32_t>(t.at("onset"), first, n, H5T_NATIVE_INT32);
  const auto apex = Impl::get<int32_t>(t.at("apex"), first, n, H5T_NATIVE_INT32);
  const auto offset = Impl::get<int32_t>(t.at("offset"), first, n, H5T_NATIVE_INT32);
  const auto score = Impl::get<float>(t.at("score"), first, n, H5T_NATIVE_FLOAT);
  const auto pred = Impl::get<int16_t>(t.at("pred"), first, n, H5T_NATIVE_INT16);
  const auto probs = Impl::get<float>(t.at("probs"), first, n, H5T_NATIVE_FLOAT);
  std::vector<IntervalRow> rows(n);
  for (size_t i = 0; i < n; ++i) {
    IntervalRow& r = rows[i];
    r.clip = clip[i];
    r.onset = onset[i];
    r.apex = apex[i];
    r.offset = offset[i];
    r.score = score[i];
    r.pred = pred[i];
    r.probs = split_row(probs, i, classes);
  }
  return rows;
}

}  // namespace mexa::io
