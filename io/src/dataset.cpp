#include "mexa/io/dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/io/frame_folder.h"
#include "mexa/io/text.h"
#include "mexa/io/video_reader.h"
#include "mexa/io/workbook.h"

namespace mexa::io {
namespace {

namespace fs = std::filesystem;

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

std::string find_annotations(const std::string& root, AnnotationStyle style) {
  const StyleInfo& info = style_info(style);
  std::vector<fs::path> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() >= 3) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    if (ascii_lower(it->path().extension().string()) != ".csv" && !is_workbook(name)) continue;
    if (name.rfind("~$", 0) == 0) continue;  // Excel's lock files
    if (name_matches(info, name)) found.push_back(it->path());
  }
  if (found.empty()) return "";
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    const auto da = std::distance(a.begin(), a.end()), db = std::distance(b.begin(), b.end());
    return da != db ? da < db : a < b;
  });
  return found.front().string();
}

namespace {

/// What the disk holds for one clip path (checked once, however many
/// intervals of a long video point at it).
struct ClipFiles {
  bool exists = false;
  int64_t frames = -1;                ///< -1: unknown (the folder's numbering is broken)
  std::optional<FrameSequence> seq;   ///< a frame folder's numbering
  std::vector<std::string> problems;  ///< "what: why", without the clip's name
};

ClipFiles inspect_clip(const fs::path& path, bool decode) {
  ClipFiles c;
  std::error_code ec;
  if (!fs::exists(path, ec)) return c;
  c.exists = true;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> images;
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.is_regular_file() && is_image_extension(entry.path().extension().string())) images.push_back(entry.path());
    std::sort(images.begin(), images.end());
    for (const auto& image : images)
      if (const std::string why = image_problem(image); !why.empty()) c.problems.push_back(image.string() + " " + why);
    try {
      c.seq = find_frame_sequence(path);
      c.frames = c.seq->count;
    } catch (const Error& e) {
      c.problems.push_back(e.what());
      return c;
    }
  } else if (fs::file_size(path, ec) == 0) {
    c.problems.push_back("empty video file " + path.string());
    return c;
  }
  if (!decode || !c.problems.empty()) return c;
  // Every frame through the decoder: a cut-short or damaged image or video
  // fails here, before a training run meets it.
  VideoReaderOptions options;
  options.pixel_format = PixelFormat::Gray8;
  options.threads = 1;
  int64_t decoded = 0;
  try {
    VideoReader reader(path.string(), options);
    Frame frame;
    std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(c.frames, 0)), false);
    while (reader.next(frame)) {
      ++decoded;
      // image2 stamps frame k with pts k: a number missing is an image the decoder dropped.
      if (frame.pts() >= 0 && frame.pts() < static_cast<int64_t>(seen.size())) seen[static_cast<size_t>(frame.pts())] = true;
    }
    if (c.frames >= 0 && decoded < c.frames) {
      std::string which;
      for (size_t k = 0; k < seen.size() && which.size() < 200; ++k)
        if (!seen[k]) which += (which.empty() ? "" : ", ") + frame_file(*c.seq, static_cast<int64_t>(k));
      c.problems.push_back(path.string() + ": " + std::to_string(c.frames - decoded) + " of " +
                           std::to_string(c.frames) + " frames do not decode" + (which.empty() ? "" : ": " + which));
    }
    c.frames = decoded;
  } catch (const Error& e) {
    // The decoder gave up: at the frame after the last one it returned (for a folder, that file).
    c.problems.push_back(std::string(e.what()) + " (after " + std::to_string(decoded) + " frames" +
                         (c.seq ? "; next: " + frame_file(*c.seq, decoded) : "") + ")");
  }
  return c;
}

}  // namespace

DatasetReport check_dataset(const std::string& annotations, ManifestOptions options, bool decode,
                            const std::function<void(int64_t, int64_t)>& progress) {
  options.check_paths = false;  // a missing clip is reported below, by name
  options.strict = false;
  const Manifest manifest = read_manifest(annotations, options);
  DatasetReport r;
  r.annotations = manifest.source;
  r.rows = static_cast<int64_t>(manifest.rows.size());
  r.excluded = manifest.excluded + manifest.excluded_type;
  for (const auto& p : manifest.skipped) r.problems.push_back(p.message);
  std::set<double> rates;
  std::map<std::string, ClipFiles> seen;
  int64_t done = 0;
  for (const auto& row : manifest.rows) {
    if (progress) progress(done++, r.rows);
    ++r.per_class[row.emotion];
    ++r.per_subject[row.subject];
    for (const auto& au : split_aus(row.aus)) ++r.per_au[au];
    if (row.fps > 0) rates.insert(row.fps);
    const std::string what = "clip " + row.id + " (" + manifest.source + ":" + std::to_string(row.line) + "): ";
    auto [it, first_time] = seen.try_emplace(row.path);
    if (first_time) {
      it->second = inspect_clip(row.path, decode);
      if (it->second.frames >= 0) r.frames.push_back(it->second.frames);
    }
    const ClipFiles& files = it->second;
    if (!files.exists) {
      r.problems.push_back(what + "missing: " + row.path);
      continue;
    }
    if (!files.problems.empty()) {
      if (first_time)
        for (const auto& p : files.problems) r.problems.push_back(what + p);
      continue;
    }
    const std::string holds = row.path + " holds " + std::to_string(files.frames) + " frames" +
                              (files.seq ? " (" + files.seq->first_file + " is frame 0)" : "");
    if (files.frames >= 0 && row.offset >= files.frames)
      r.problems.push_back(what + "offset is frame " + std::to_string(row.offset) + " (0-based) but " + holds);
    else if (files.frames >= 0 && row.apex >= files.frames)
      r.problems.push_back(what + "apex is frame " + std::to_string(row.apex) + " but " + holds);
    else
      ++r.clips_found;
  }
  if (progress) progress(done, r.rows);
  r.fps = rates.size() == 1 ? *rates.begin() : style_info(options.style).fps;
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
  // The clip as the id names it: several expressions of one folder stay apart (CAS(ME)^3's "b_166").
  const std::string clip = row.id.size() > row.subject.size() ? row.id.substr(row.subject.size() + 1) : row.clip;
  return csv_escape(prefix + row.subject) + "," + csv_escape(clip) + "," + csv_escape(path) + "," +
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
  // Rows that say which dataset they come from (the MEGC 2019 composite's) keep it: per-dataset metrics use it.
  const bool datasets = std::any_of(manifest.rows.begin(), manifest.rows.end(),
                                    [](const ManifestRow& r) { return r.extra.count("dataset") > 0; });
  std::string text = std::string("subject,clip,path,onset,apex,offset,emotion,aus,fps") + (datasets ? ",dataset" : "") + "\n";
  const fs::path base = fs::absolute(out_dir).lexically_normal();
  for (const auto& row : manifest.rows) {
    text += row_csv(row, base, fps, "");
    if (datasets) {
      const auto it = row.extra.find("dataset");
      text += "," + csv_escape(it == row.extra.end() ? std::string() : it->second);
    }
    text += "\n";
  }
  return text;
}

}  // namespace mexa::io
