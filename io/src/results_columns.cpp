#include "results_columns.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace mexa::io::detail {
namespace {

// String column widths (bytes, UTF-8). Error messages longer than their width
// are cut; ids, paths and subjects longer than theirs are stored as stored_text().
constexpr size_t kSourceWidth = 1024;
constexpr size_t kSubjectWidth = 128;
constexpr size_t kErrorWidth = 1024;

template <typename M>
double to_number(M v) {
  if constexpr (std::is_floating_point_v<M>)
    return static_cast<double>(v);
  else
    return static_cast<double>(static_cast<int64_t>(v));
}

template <typename M>
M from_number(double v) {
  if constexpr (std::is_floating_point_v<M>)
    return static_cast<M>(v);
  else
    return static_cast<M>(static_cast<int64_t>(v));
}

/// A number column holding `member` (integers, enums, bools and floats alike).
template <typename Row, typename M>
Field<Row> number(const char* name, Store store, M Row::*member, Presence presence = Presence::Always) {
  Field<Row> f{name, store, presence};
  f.get_number = [member](const Row& r) { return to_number(r.*member); };
  f.set_number = [member](Row& r, double v) { r.*member = from_number<M>(v); };
  return f;
}

/// A fixed-width text column holding `member`.
template <typename Row>
Field<Row> text(const char* name, std::string Row::*member, size_t width, bool truncate = false) {
  Field<Row> f{name, Store::Text};
  f.text_width = width;
  f.truncate = truncate;
  f.get_text = [member](const Row& r) -> const std::string& { return r.*member; };
  f.set_text = [member](Row& r, std::string v) { r.*member = std::move(v); };
  return f;
}

/// A column of float rows holding `member`.
template <typename Row>
Field<Row> floats(const char* name, Inner inner, std::vector<float> Row::*member, Presence presence = Presence::Always) {
  Field<Row> f{name, Store::Floats, presence, inner};
  f.get_floats = [member](const Row& r) { return std::span<const float>(r.*member); };
  f.set_floats = [member](Row& r, std::vector<float> v) { r.*member = std::move(v); };
  return f;
}

template <typename Row>
Field<Row> clip_index() {
  Field<Row> f = number("clip", Store::I64, &Row::clip);
  f.clip_ref = true;
  return f;
}

}  // namespace

const std::vector<Field<ClipRow>>& clip_fields() {
  using R = ClipRow;
  static const std::vector<Field<R>> table = [] {
    std::vector<Field<R>> t{
        text("id", &R::id, kIdWidth),
        text("source", &R::source, kSourceWidth),
        text("subject", &R::subject, kSubjectWidth),
        number("status", Store::I8, &R::status),
        text("error", &R::error, kErrorWidth, /*truncate=*/true),
        number("fps", Store::F64, &R::fps),
        number("n_frames", Store::I64, &R::n_frames),
        number("onset", Store::I32, &R::onset),
        number("apex", Store::I32, &R::apex),
        number("offset", Store::I32, &R::offset),
        number("apex_source", Store::I8, &R::apex_source),
        number("label", Store::I16, &R::label),
        number("pred", Store::I16, &R::pred),
        floats("probs", Inner::Classes, &R::probs),
        floats("apex_feature", Inner::Feature, &R::apex_feature),
        number("frame_start", Store::I64, &R::frame_start),
        number("frame_count", Store::I64, &R::frame_count),
        number("face_found", Store::U8, &R::face_found, Presence::FaceFound),
    };
    t.back().absent = [](R& r) { r.face_found = true; };
    return t;
  }();
  return table;
}

const std::vector<Field<FrameRow>>& frame_fields() {
  using R = FrameRow;
  static const std::vector<Field<R>> table = [] {
    Field<R> box{"face_box", Store::Floats, Presence::Always, Inner::Box};
    box.get_floats = [](const R& r) { return std::span<const float>(r.face_box); };
    box.set_floats = [](R& r, std::vector<float> v) { std::copy_n(v.begin(), r.face_box.size(), r.face_box.begin()); };
    Field<R> face_id = number("face_id", Store::I32, &R::face_id, Presence::FaceId);
    face_id.absent = [](R& r) { r.face_id = r.success ? 0 : -1; };
    return std::vector<Field<R>>{
        clip_index<R>(),
        number("index", Store::I64, &R::index),
        number("time", Store::F64, &R::time),
        box,
        number("face_confidence", Store::F32, &R::face_confidence),
        number("success", Store::U8, &R::success),
        number("motion", Store::F32, &R::motion),
        number("phase", Store::I8, &R::phase),
        face_id,
        floats("landmarks", Inner::Landmarks, &R::landmarks, Presence::Landmarks),
        floats("probs", Inner::Classes, &R::probs, Presence::FrameProbs),
    };
  }();
  return table;
}

const std::vector<Field<IntervalRow>>& interval_fields() {
  using R = IntervalRow;
  static const std::vector<Field<R>> table{
      clip_index<R>(),
      number("onset", Store::I32, &R::onset),
      number("apex", Store::I32, &R::apex),
      number("offset", Store::I32, &R::offset),
      number("score", Store::F32, &R::score),
      number("pred", Store::I16, &R::pred),
      floats("probs", Inner::Classes, &R::probs),
  };
  return table;
}

namespace {

bool present(Presence p, const Shape& s) {
  switch (p) {
    case Presence::Always: return true;
    case Presence::FaceFound: return s.face_found;
    case Presence::FaceId: return s.face_id;
    case Presence::Landmarks: return s.landmarks;
    case Presence::FrameProbs: return s.frame_probs;
  }
  return false;
}

std::vector<hsize_t> inner_shape(Inner inner, const Shape& s) {
  switch (inner) {
    case Inner::Classes: return {s.classes};
    case Inner::Feature: return {s.feature_dim};
    case Inner::Box: return {4};
    case Inner::Landmarks: return {kLandmarkCount, 2};
  }
  return {};
}

size_t row_width(Inner inner, const Shape& s) {
  size_t n = 1;
  for (hsize_t d : inner_shape(inner, s)) n *= d;
  return n;
}

hid_t file_type(Store store) {
  switch (store) {
    case Store::I8: return H5T_STD_I8LE;
    case Store::U8: return H5T_STD_U8LE;
    case Store::I16: return H5T_STD_I16LE;
    case Store::I32: return H5T_STD_I32LE;
    case Store::I64: return H5T_STD_I64LE;
    case Store::F32:
    case Store::Floats: return H5T_IEEE_F32LE;
    case Store::F64: return H5T_IEEE_F64LE;
    case Store::Text: return -1;  // a fixed-length string type of the column's width
  }
  return -1;
}

template <typename Row>
std::vector<ColumnSpec> specs(const std::vector<Field<Row>>& table, const Shape& s) {
  std::vector<ColumnSpec> out;
  for (const auto& f : table)
    if (present(f.presence, s))
      out.push_back({f.name, file_type(f.store), f.store == Store::Floats ? inner_shape(f.inner, s) : std::vector<hsize_t>{},
                     f.store == Store::Text ? f.text_width : 0});
  return out;
}

template <typename T, typename Row>
void write_numbers(h5::Column& column, const Field<Row>& f, const std::vector<Row>& rows, hsize_t first, hid_t type,
                   int64_t base) {
  std::vector<T> values;
  values.reserve(rows.size());
  for (const Row& r : rows) values.push_back(static_cast<T>(f.get_number(r) + static_cast<double>(base)));
  column.write(first, values.size(), type, values.data());
}

template <typename T, typename Row>
void read_numbers(const h5::Column& column, const Field<Row>& f, std::vector<Row>& rows, hsize_t first, hid_t type) {
  std::vector<T> values(rows.size());
  column.read(first, rows.size(), type, values.data());
  for (size_t i = 0; i < rows.size(); ++i) f.set_number(rows[i], static_cast<double>(values[i]));
}

/// Float rows into one dense [rows, width] buffer; an empty row is NaN.
template <typename Row>
std::vector<float> dense(const Field<Row>& f, const std::vector<Row>& rows, size_t width, const std::string& file) {
  std::vector<float> out(rows.size() * width, std::numeric_limits<float>::quiet_NaN());
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::span<const float> values = f.get_floats(rows[i]);
    if (values.empty()) continue;
    if (values.size() != width)
      throw StorageError(file, std::string(f.name) + " of row " + std::to_string(i) + " has " +
                                   std::to_string(values.size()) + " values, expected " + std::to_string(width));
    std::copy(values.begin(), values.end(), out.begin() + static_cast<std::ptrdiff_t>(i * width));
  }
  return out;
}

template <typename Row>
void write_field(h5::Column& column, const Field<Row>& f, const std::vector<Row>& rows, hsize_t first,
                 const Shape& shape, int64_t clip_base, const std::string& file) {
  const int64_t base = f.clip_ref ? clip_base : 0;
  switch (f.store) {
    case Store::I8: return write_numbers<int8_t>(column, f, rows, first, H5T_NATIVE_INT8, base);
    case Store::U8: return write_numbers<uint8_t>(column, f, rows, first, H5T_NATIVE_UINT8, base);
    case Store::I16: return write_numbers<int16_t>(column, f, rows, first, H5T_NATIVE_INT16, base);
    case Store::I32: return write_numbers<int32_t>(column, f, rows, first, H5T_NATIVE_INT32, base);
    case Store::I64: return write_numbers<int64_t>(column, f, rows, first, H5T_NATIVE_INT64, base);
    case Store::F32: return write_numbers<float>(column, f, rows, first, H5T_NATIVE_FLOAT, base);
    case Store::F64: return write_numbers<double>(column, f, rows, first, H5T_NATIVE_DOUBLE, base);
    case Store::Text: {
      std::vector<const std::string*> values;
      for (const Row& r : rows) values.push_back(&f.get_text(r));
      return column.write_strings(first, values, f.truncate);
    }
    case Store::Floats: {
      const auto values = dense(f, rows, row_width(f.inner, shape), file);
      return column.write(first, rows.size(), H5T_NATIVE_FLOAT, values.data());
    }
  }
}

template <typename Row>
void read_field(const h5::Column& column, const Field<Row>& f, std::vector<Row>& rows, hsize_t first,
                const Shape& shape) {
  switch (f.store) {
    case Store::I8: return read_numbers<int8_t>(column, f, rows, first, H5T_NATIVE_INT8);
    case Store::U8: return read_numbers<uint8_t>(column, f, rows, first, H5T_NATIVE_UINT8);
    case Store::I16: return read_numbers<int16_t>(column, f, rows, first, H5T_NATIVE_INT16);
    case Store::I32: return read_numbers<int32_t>(column, f, rows, first, H5T_NATIVE_INT32);
    case Store::I64: return read_numbers<int64_t>(column, f, rows, first, H5T_NATIVE_INT64);
    case Store::F32: return read_numbers<float>(column, f, rows, first, H5T_NATIVE_FLOAT);
    case Store::F64: return read_numbers<double>(column, f, rows, first, H5T_NATIVE_DOUBLE);
    case Store::Text: {
      auto values = column.read_strings(first, rows.size());
      for (size_t i = 0; i < rows.size(); ++i) f.set_text(rows[i], std::move(values[i]));
      return;
    }
    case Store::Floats: {
      const size_t width = row_width(f.inner, shape);
      std::vector<float> values(rows.size() * width);
      column.read(first, rows.size(), H5T_NATIVE_FLOAT, values.data());
      for (size_t i = 0; i < rows.size(); ++i) {
        const auto begin = values.begin() + static_cast<std::ptrdiff_t>(i * width);
        f.set_floats(rows[i], std::vector<float>(begin, begin + static_cast<std::ptrdiff_t>(width)));
      }
      return;
    }
  }
}

}  // namespace

Schema schema_for(const Shape& shape) {
  return {specs(clip_fields(), shape), specs(frame_fields(), shape), specs(interval_fields(), shape)};
}

template <typename Row>
void write_rows(std::map<std::string, h5::Column>& columns, const std::vector<Field<Row>>& table,
                const std::vector<Row>& rows, hsize_t first, const Shape& shape, int64_t clip_base,
                const std::string& file) {
  if (rows.empty()) return;
  for (const auto& f : table)
    if (const auto it = columns.find(f.name); it != columns.end())
      write_field(it->second, f, rows, first, shape, clip_base, file);
}

template <typename Row>
std::vector<Row> read_rows(const std::map<std::string, h5::Column>& columns, const std::vector<Field<Row>>& table,
                           hsize_t first, hsize_t n, const Shape& shape) {
  std::vector<Row> rows(n);
  if (n == 0) return rows;
  for (const auto& f : table)
    if (const auto it = columns.find(f.name); it != columns.end()) read_field(it->second, f, rows, first, shape);
  for (const auto& f : table)  // after the others: a default may depend on them (face_id on success)
    if (f.absent && !columns.count(f.name))
      for (Row& r : rows) f.absent(r);
  return rows;
}

template void write_rows(std::map<std::string, h5::Column>&, const std::vector<Field<ClipRow>>&,
                         const std::vector<ClipRow>&, hsize_t, const Shape&, int64_t, const std::string&);
template void write_rows(std::map<std::string, h5::Column>&, const std::vector<Field<FrameRow>>&,
                         const std::vector<FrameRow>&, hsize_t, const Shape&, int64_t, const std::string&);
template void write_rows(std::map<std::string, h5::Column>&, const std::vector<Field<IntervalRow>>&,
                         const std::vector<IntervalRow>&, hsize_t, const Shape&, int64_t, const std::string&);
template std::vector<ClipRow> read_rows(const std::map<std::string, h5::Column>&, const std::vector<Field<ClipRow>>&,
                                        hsize_t, hsize_t, const Shape&);
template std::vector<FrameRow> read_rows(const std::map<std::string, h5::Column>&, const std::vector<Field<FrameRow>>&,
                                         hsize_t, hsize_t, const Shape&);
template std::vector<IntervalRow> read_rows(const std::map<std::string, h5::Column>&,
                                            const std::vector<Field<IntervalRow>>&, hsize_t, hsize_t, const Shape&);

}  // namespace mexa::io::detail
