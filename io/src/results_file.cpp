#include "results_file.h"

#include <algorithm>
#include <map>

namespace mexa::io::detail {

using h5::check;
using h5::check_status;
using h5::Column;
using h5::fixed_string_type;
using h5::Handle;
using h5::read_int64_attr;
using h5::read_string_attr;
using h5::read_strings_attr;

void require_results_schema(hid_t root, const std::string& file) {
  if (H5Aexists(root, "schema") <= 0 || read_string_attr(root, file, "schema") != kResultsSchema)
    throw StorageError(file, "not a mexa results file (no 'schema' attribute equal to mexa-results)");
}

void open_groups(hid_t root, const std::string& file, Tables& tables) {
  tables.clips_group = Handle(check(H5Gopen2(root, "clips", H5P_DEFAULT), file, "/clips"));
  tables.frames_group = Handle(check(H5Gopen2(root, "frames", H5P_DEFAULT), file, "/frames"));
  tables.intervals_group = Handle(check(H5Gopen2(root, "intervals", H5P_DEFAULT), file, "/intervals"));
}

namespace {

void create_columns(hid_t group, const std::string& file, const std::vector<ColumnSpec>& specs, hsize_t chunk_rows,
                    std::map<std::string, Column>& out) {
  for (const ColumnSpec& spec : specs) {
    Handle str = fixed_string_type(std::max<size_t>(spec.string_width, 1));
    const hid_t type = spec.string_width > 0 ? str.get() : spec.file_type;
    out.emplace(spec.name, Column::create(group, file, spec.name, type, spec.inner, chunk_rows));
  }
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

}  // namespace

void create_tables(hid_t root, const std::string& file, const Schema& schema, Tables& tables) {
  tables.clips_group = Handle(check(H5Gcreate2(root, "clips", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), file, "/clips"));
  tables.frames_group = Handle(check(H5Gcreate2(root, "frames", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), file, "/frames"));
  tables.intervals_group =
      Handle(check(H5Gcreate2(root, "intervals", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), file, "/intervals"));
  create_columns(tables.clips_group.get(), file, schema.clips, kClipChunkRows, tables.clips);
  create_columns(tables.frames_group.get(), file, schema.frames, kFrameChunkRows, tables.frames);
  create_columns(tables.intervals_group.get(), file, schema.intervals, kIntervalChunkRows, tables.intervals);
}

void open_columns(const Schema& schema, const std::string& file, Tables& tables) {
  open_columns(tables.clips_group.get(), file, schema.clips, tables.clips);
  open_columns(tables.frames_group.get(), file, schema.frames, tables.frames);
  open_columns(tables.intervals_group.get(), file, schema.intervals, tables.intervals);
}

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

Shape shape_of(const ResultsMeta& meta, const Tables& tables) {
  Shape s;
  s.classes = meta.class_names.size();
  s.feature_dim = static_cast<hsize_t>(meta.feature_dim);
  s.landmarks = meta.frame_landmarks;
  s.frame_probs = meta.frame_probs;
  s.face_found = H5Lexists(tables.clips_group.get(), "face_found", H5P_DEFAULT) > 0;
  s.face_id = H5Lexists(tables.frames_group.get(), "face_id", H5P_DEFAULT) > 0;
  return s;
}

std::array<int64_t, 3> read_committed_rows(hid_t dataset, const std::string& file) {
  std::array<int64_t, 3> rows{};
  check_status(H5Dread(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data()), file,
               "read /committed_rows");
  for (int64_t r : rows)
    if (r < 0) throw StorageError(file, "negative committed row count; the file is damaged");
  return rows;
}

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

}  // namespace mexa::io::detail
