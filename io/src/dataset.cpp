#include "mexa/io/dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/io/frame_folder.h"
#include "mexa/io/text.h"
#include "mexa/io/workbook.h"

namespace mexa::io {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> name_keys(AnnotationStyle style) {
  switch (style) {
    case AnnotationStyle::Casme2: return {"casme2", "casme_2", "casme ii"};
    case AnnotationStyle::Samm: return {"samm"};
    case AnnotationStyle::Smic: return {"smic"};
    case AnnotationStyle::Casme3: return {"cas(me)3", "cas(me)^3", "casme3", "casme_3"};
    case AnnotationStyle::Mexa: return {"annotations.csv"};
  }
  return {};
}

/// Why an image file cannot be a frame ("" when its first bytes look right).
std::string image_problem(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) return "cannot be read (" + ec.message() + ")";
  if (size == 0) return "is empty";
  std::ifstream in(file, std::ios::binary);
  unsigned char head[8] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  if (!in && in.gcount() < 4) return "cannot be read";
  const std::string ext = ascii_lower(file.extension().string());
  const bool jpeg = head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;
  const bool png = head[0] == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G';
  const bool bmp = head[0] == 'B' && head[1] == 'M';
  if ((ext == ".jpg" || ext == ".jpeg") && !jpeg) return "is not a JPEG image";
  if (ext == ".png" && !png) return "is not a PNG image";
  if (ext == ".bmp" && !bmp) return "is not a BMP image";
  return "";
}

std::string frame(int64_t index) { return index < 0 ? "" : std::to_string(index); }

std::vector<std::string> split_aus(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (char c : text + "+") {
    if (c == '+' || c == ',' || c == ';' || c == ' ') {
      if (!item.empty() && item != "or") out.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  return out;
}

}  // namespace

double style_fps(AnnotationStyle style) {
  switch (style) {
    case AnnotationStyle::Casme2:
    case AnnotationStyle::Samm: return 200;
    case AnnotationStyle::Smic: return 100;
    case AnnotationStyle::Casme3: return 30;
    case AnnotationStyle::Mexa: return 0;
  }
  return 0;
}

std::string find_annotations(const std::string& root, AnnotationStyle style) {
  const auto keys = name_keys(style);
  std::vector<fs::path> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() >= 3) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string name = ascii_lower(it->path().filename().string());
    const std::string ext = ascii_lower(it->path().extension().string());
    if (ext != ".csv" && !is_workbook(name)) continue;
    if (name.rfind("~$", 0) == 0) continue;  // Excel's lock files
    if (std::any_of(keys.begin(), keys.end(), [&](const std::string& k) { return name.find(k) != std::string::npos; }))
      found.push_back(it->path());
  }
  if (found.empty()) return "";
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    const auto da = std::distance(a.begin(), a.end()), db = std::distance(b.begin(), b.end());
    return da != db ? da < db : a < b;
  });
  return found.front().string();
}

DatasetReport check_dataset(const std::string& annotations, ManifestOptions options) {
  options.check_paths = false;  // a missing clip is reported below, by name
  options.strict = false;
  const Manifest manifest = read_manifest(annotations, options);
  DatasetReport r;
  r.annotations = manifest.source;
  r.rows = static_cast<int64_t>(manifest.rows.size());
  for (const auto& p : manifest.skipped) r.problems.push_back(p.message);
  std::set<double> rates;
  for (const auto& row : manifest.rows) {
    ++r.per_class[row.emotion];
    ++r.per_subject[row.subject];
    for (const auto& au : split_aus(row.aus)) ++r.per_au[au];
    if (row.fps > 0) rates.insert(row.fps);
    const std::string what = "clip " + row.id + " (" + manifest.source + ":" + std::to_string(row.line) + "): ";
    std::error_code ec;
    const fs::path path(row.path);
    if (!fs::exists(path, ec)) {
      r.problems.push_back(what + "missing: " + row.path);
      continue;
    }
    if (!fs::is_directory(path, ec)) {  // a video file: its frames are the decoder's business
      if (fs::file_size(path, ec) == 0) r.problems.push_back(what + "empty video file " + row.path);
      else ++r.clips_found;
      continue;
    }
    bool ok = true;
    std::vector<fs::path> images;
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.is_regular_file() && is_image_extension(entry.path().extension().string())) images.push_back(entry.path());
    std::sort(images.begin(), images.end());
    for (const auto& image : images)
      if (const std::string why = image_problem(image); !why.empty()) {
        r.problems.push_back(what + image.string() + " " + why);
        ok = false;
      }
    try {
      const FrameSequence seq = find_frame_sequence(path);
      r.frames.push_back(seq.count);
      if (row.offset >= seq.count)
        r.problems.push_back(what + "offset is frame " + std::to_string(row.offset) + " (0-based) but " + row.path +
                             " holds " + std::to_string(seq.count) + " frames (" + seq.first_file + " is frame 0)");
      else if (row.apex >= seq.count)
        r.problems.push_back(what + "apex is frame " + std::to_string(row.apex) + " but " + row.path + " holds " +
                             std::to_string(seq.count) + " frames");
      else if (ok)
        ++r.clips_found;
    } catch (const Error& e) {
      r.problems.push_back(what + e.what());
    }
  }
  r.fps = rates.size() == 1 ? *rates.begin() : style_fps(options.style);
  return r;
}

namespace {

/// One manifest row as mexa's CSV columns (no line end); `prefix` goes before the subject.
std::string row_csv(const ManifestRow& row, const fs::path& base, double fps, const std::string& prefix) {
  const fs::path absolute = fs::absolute(row.path).lexically_normal();
  const fs::path relative = absolute.lexically_relative(base);
  const bool inside = !relative.empty() && relative.begin()->string() != "..";
  const std::string path = inside ? relative.string() : absolute.string();
  const double rate = row.fps > 0 ? row.fps : fps;
  return csv_escape(prefix + row.subject) + "," + csv_escape(row.clip) + "," + csv_escape(path) + "," +
         frame(row.onset) + "," + frame(row.apex) + "," + frame(row.offset) + "," + csv_escape(row.emotion) + "," +
         csv_escape(row.aus) + "," + (rate > 0 ? shortest_number(rate) : "");
}

}  // namespace

std::string composite_csv(const std::vector<CompositePart>& parts, const std::string& out_dir) {
  std::string text = "subject,clip,path,onset,apex,offset,emotion,aus,fps,dataset\n";
  const fs::path base = fs::absolute(out_dir).lexically_normal();
  for (const auto& part : parts)
    for (const auto& row : part.manifest.rows)
      text += row_csv(row, base, part.fps, part.name + "/") + "," + csv_escape(part.name) + "\n";
  return text;
}

std::string manifest_csv(const Manifest& manifest, const std::string& out_dir, double fps) {
  std::string text = "subject,clip,path,onset,apex,offset,emotion,aus,fps\n";
  const fs::path base = fs::absolute(out_dir).lexically_normal();
  for (const auto& row : manifest.rows) text += row_csv(row, base, fps, "") + "\n";
  return text;
}

}  // namespace mexa::io
