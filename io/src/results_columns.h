// The results file's schema as one table per row type: each column of
// /clips, /frames and /intervals is named once, with how it is stored and
// which member of ClipRow, FrameRow or IntervalRow it holds. The datasets a
// file gets, what the writer writes and what the reader reads all come from
// these tables (schema_for, write_rows, read_rows). Internal to io/.
//
// Adding a column: one line in its table (a column files from before it lack
// gets a Presence and a default for readers).
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "hdf5_column.h"
#include "mexa/io/results.h"

namespace mexa::io::detail {

/// Width of /clips/id in bytes: a longer id is stored as stored_text().
constexpr size_t kIdWidth = 256;

/// How a column is stored: a number of one of these types, fixed-width text, or float rows.
enum class Store { I8, U8, I16, I32, I64, F32, F64, Text, Floats };
/// The inner shape of a float-row column.
enum class Inner { Classes, Feature, Box, Landmarks };
/// When a file has the column.
enum class Presence {
  Always,
  FaceFound,   ///< /clips/face_found: added after schema v1 was released (absent: every face found)
  FaceId,      ///< /frames/face_id: likewise (absent: 0 with a face, else -1)
  Landmarks,   ///< ResultsMeta::frame_landmarks
  FrameProbs,  ///< ResultsMeta::frame_probs
};

template <typename Row>
struct Field {
  const char* name;
  Store store;
  Presence presence = Presence::Always;
  Inner inner = Inner::Classes;  ///< Store::Floats
  size_t text_width = 0;         ///< Store::Text: bytes (UTF-8)
  bool truncate = false;         ///< Store::Text: cut (free text) rather than stored_text()
  bool clip_ref = false;         ///< an index into the batch's clips, written as a row of /clips
  std::function<double(const Row&)> get_number;  ///< numbers travel as double: exact for every value stored
  std::function<void(Row&, double)> set_number;
  std::function<const std::string&(const Row&)> get_text;
  std::function<void(Row&, std::string)> set_text;
  std::function<std::span<const float>(const Row&)> get_floats;  ///< the row's values, no copy; empty: a row of NaN
  std::function<void(Row&, std::vector<float>)> set_floats;
  std::function<void(Row&)> absent;  ///< fills the member when the file lacks the column
};

const std::vector<Field<ClipRow>>& clip_fields();
const std::vector<Field<FrameRow>>& frame_fields();
const std::vector<Field<IntervalRow>>& interval_fields();

/// What decides which columns a file has and their inner shapes.
struct Shape {
  hsize_t classes = 0, feature_dim = 0;
  bool landmarks = false, frame_probs = false;
  bool face_found = true, face_id = true;  ///< the later columns (false: a file from before them)
};

/// A column as a dataset: its name, file type, inner shape and string width.
struct ColumnSpec {
  const char* name;
  hid_t file_type;  ///< resolved at run time: H5T_* are not constants
  std::vector<hsize_t> inner;
  size_t string_width = 0;  ///< > 0: a fixed-length string column of this many bytes
};

struct Schema {
  std::vector<ColumnSpec> clips, frames, intervals;
};
Schema schema_for(const Shape& shape);

/// The three groups and their columns, opened or created.
struct Tables {
  h5::Handle clips_group, frames_group, intervals_group;
  std::map<std::string, h5::Column> clips, frames, intervals;
};

/// Writes `rows` at row `first` into the group's columns (those `columns` has:
/// a later column a resumed file lacks is left out). `clip_base`: the /clips
/// row of the batch's first clip (clip_ref columns).
template <typename Row>
void write_rows(std::map<std::string, h5::Column>& columns, const std::vector<Field<Row>>& table,
                const std::vector<Row>& rows, hsize_t first, const Shape& shape, int64_t clip_base,
                const std::string& file);
/// Reads rows [first, first + n) of the group's columns; a column the file
/// lacks fills its member with the column's default.
template <typename Row>
std::vector<Row> read_rows(const std::map<std::string, h5::Column>& columns, const std::vector<Field<Row>>& table,
                           hsize_t first, hsize_t n, const Shape& shape);

}  // namespace mexa::io::detail
