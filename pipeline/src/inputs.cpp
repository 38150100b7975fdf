#include "mexa/pipeline/inputs.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>

#include "mexa/io/errors.h"
#include "mexa/io/frame_folder.h"

namespace mexa::pipeline {
namespace {

namespace fs = std::filesystem;

const std::set<std::string> kVideoExtensions{".mp4", ".avi", ".mkv", ".mov", ".webm", ".mpg", ".mpeg",
                                             ".m4v", ".wmv", ".flv", ".mts", ".ts",  ".mj2", ".mxf"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// A folder holding numbered images and no sub-folders is a clip.
bool is_frame_folder(const fs::path& dir) {
  bool images = false;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory()) return false;
    images = images || io::is_image_extension(lower(entry.path().extension().string()));
  }
  return images;
}

struct Collector {
  const io::ManifestOptions& manifest_options;
  std::istream& stdin_list;
  bool flow_images = false;  ///< folders hold flow images (each image a clip), not frames
  CollectedInputs out;
  int list_depth = 0;

  void add(ScoreInput item) { out.items.push_back(std::move(item)); }
  void add_path(const std::string& id, const std::string& path) {
    ScoreInput item;
    item.id = id;
    item.path = path;
    add(std::move(item));
  }

  /// Videos and frame folders below `dir`, depth first. A folder that cannot
  /// be listed (no permission) is a problem naming it, and the walk goes on;
  /// symbolic links to folders are not descended into (no loops, nothing
  /// twice), though a link to a frame folder is a clip.
  void walk(const fs::path& dir, std::vector<fs::path>& found) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec), end;
    if (ec) return out.problems.push_back({dir.string(), "cannot list the folder: " + ec.message()});
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      const fs::path& p = it->path();
      std::error_code kind;
      if (it->is_directory(kind)) {
        if (flow_images) {
          if (!it->is_symlink(kind)) walk(p, found);
        } else if (is_frame_folder(p)) found.push_back(p);  // a clip (a link to one too): not descended into
        else if (!it->is_symlink(kind)) walk(p, found);
      } else if (it->is_regular_file(kind) && (flow_images ? io::is_image_extension(p.extension().string())
                                                            : kVideoExtensions.count(lower(p.extension().string())) > 0)) {
        found.push_back(p);
      }
    }
    if (ec) out.problems.push_back({dir.string(), "cannot list the folder: " + ec.message()});
  }

  void scan_directory(const fs::path& root) {
    std::vector<fs::path> found;
    const size_t problems_before = out.problems.size();
    walk(root, found);
    std::sort(found.begin(), found.end());
    if (found.empty() && out.problems.size() == problems_before)
      out.problems.push_back({root.string(), flow_images ? "no images in it" : "no videos or frame folders in it"});
    for (const auto& p : found) add_path(fs::relative(p, root).string(), p.string());
  }

  void read_list(std::istream& in, const std::string& name) {
    if (++list_depth > 4) {
      out.problems.push_back({name, "lists nested too deeply"});
      --list_depth;
      return;
    }
    std::string line;
    while (std::getline(in, line)) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      one(line);
    }
    --list_depth;
  }

  void one(const std::string& arg) {
    if (arg == "-") return read_list(stdin_list, "stdin");
    if (arg.size() > 1 && arg[0] == '@') {
      std::ifstream in(arg.substr(1));
      if (!in) return out.problems.push_back({arg, "cannot read the list file"});
      return read_list(in, arg);
    }
    std::error_code ec;
    const fs::path p(arg);
    if (!fs::exists(p, ec)) return out.problems.push_back({arg, "no such file or folder"});
    if (fs::is_directory(p, ec)) {
      if (!flow_images && is_frame_folder(p)) return add_path(arg, arg);
      return scan_directory(p);
    }
    if (lower(p.extension().string()) == ".csv") {
      try {
        const auto manifest = io::read_manifest(arg, manifest_options);
        for (const auto& s : manifest.skipped) out.problems.push_back({arg, s.message});
        for (const auto& r : manifest.rows) add({r.id, r.path, r.subject, r.label, r.onset, r.apex, r.offset});
      } catch (const Error& e) {
        out.problems.push_back({arg, e.what()});
      }
      return;
    }
    add_path(arg, arg);  // any other file: FFmpeg decides (errors become /clips rows)
  }
};

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    throw std::invalid_argument(std::string("environment variable ") + name + "='" + v + "' is not a number");
  }
}

}  // namespace

CollectedInputs collect_inputs(const std::vector<std::string>& args, const io::ManifestOptions& manifest_options,
                               std::istream& stdin_list, bool flow_images) {
  Collector c{manifest_options, stdin_list, flow_images, {}};
  for (const auto& a : args) c.one(a);
  std::map<std::string, int> seen;
  for (auto& item : c.out.items)
    if (const int n = ++seen[item.id]; n > 1) {
      item.id += '#';
      item.id += std::to_string(n);
    }
  return c.out;
}

Shard resolve_shard(const std::string& text, const std::string& flag, bool rank_variables) {
  Shard s;
  if (!text.empty()) {
    const auto slash = text.find('/');
    try {
      size_t used = 0;
      s.index = std::stoi(text.substr(0, slash), &used);
      if (slash == std::string::npos || used != slash) throw std::invalid_argument(text);
      s.count = std::stoi(text.substr(slash + 1), &used);
      if (used != text.size() - slash - 1) throw std::invalid_argument(text);
    } catch (const std::exception&) {
      throw std::invalid_argument(flag + " must look like i/n, e.g. 0/4 (got '" + text + "')");
    }
  } else if (rank_variables && std::getenv("WORLD_SIZE")) {
    s.index = env_int("RANK", 0);
    s.count = env_int("WORLD_SIZE", 1);
  } else if (std::getenv("SLURM_ARRAY_TASK_COUNT")) {
    s.index = env_int("SLURM_ARRAY_TASK_ID", 0) - env_int("SLURM_ARRAY_TASK_MIN", 0);
    s.count = env_int("SLURM_ARRAY_TASK_COUNT", 1);
  }
  if (s.count < 1 || s.index < 0 || s.index >= s.count)
    throw std::invalid_argument(flag + " " + std::to_string(s.index) + "/" + std::to_string(s.count) +
                                " (given, or from RANK/WORLD_SIZE or a Slurm array) is not i/n with 0 <= i < n");
  return s;
}

std::vector<ScoreInput> shard_items(const std::vector<ScoreInput>& items, const Shard& s, int batch) {
  const size_t per_batch = static_cast<size_t>(std::max(1, batch));
  const size_t batches = (items.size() + per_batch - 1) / per_batch;
  const auto n = static_cast<size_t>(s.count), i = static_cast<size_t>(s.index);
  const size_t first = std::min(items.size(), i * batches / n * per_batch);
  const size_t last = std::min(items.size(), (i + 1) * batches / n * per_batch);
  return {items.begin() + static_cast<std::ptrdiff_t>(first), items.begin() + static_cast<std::ptrdiff_t>(last)};
}

}  // namespace mexa::pipeline
