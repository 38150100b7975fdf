// What the results writer and reader share about the file itself: its
// groups and column datasets, its provenance attributes, and the committed
// row counts that make a crash lose at most one batch. Internal to io/.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "results_columns.h"

namespace mexa::io::detail {

constexpr const char* kCommittedRows = "committed_rows";
constexpr hsize_t kClipChunkRows = 256;
constexpr hsize_t kFrameChunkRows = 4096;
constexpr hsize_t kIntervalChunkRows = 256;

/// Throws unless `root` carries schema = mexa-results.
void require_results_schema(hid_t root, const std::string& file);
/// Creates /clips, /frames and /intervals with the columns `schema` lists.
void create_tables(hid_t root, const std::string& file, const Schema& schema, Tables& tables);
/// Opens /clips, /frames and /intervals (the column datasets are opened by open_columns).
void open_groups(hid_t root, const std::string& file, Tables& tables);
/// Opens the columns `schema` lists; StorageError when one has another shape.
void open_columns(const Schema& schema, const std::string& file, Tables& tables);
/// The provenance attributes and the column shapes of an opened file (groups open).
ResultsMeta meta_of_file(hid_t root, const Tables& tables, const std::string& path);
/// The shape a file has: its classes and features, optional columns, and
/// which later columns it was written with.
Shape shape_of(const ResultsMeta& meta, const Tables& tables);
/// Row counts of /clips, /frames and /intervals that the last commit made durable.
std::array<int64_t, 3> read_committed_rows(hid_t dataset, const std::string& file);
/// Checks every column holds at least its group's committed rows; with
/// `truncate`, drops rows beyond them (a batch a crash cut short).
void check_committed(Tables& tables, const std::array<int64_t, 3>& rows, const std::string& file, bool truncate);

}  // namespace mexa::io::detail
