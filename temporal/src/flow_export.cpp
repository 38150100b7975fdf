#include "mexa/temporal/flow_export.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "mexa/io/class_sets.h"
#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/temporal/flow_image.h"

namespace mexa::temporal {
namespace fs = std::filesystem;
namespace {

/// The clip as the id names it: several expressions of one folder stay apart (CAS(ME)^3's "b_166").
std::string clip_of(const io::ManifestRow& row) {
  return row.id.size() > row.subject.size() + 1 && row.id.compare(0, row.subject.size(), row.subject) == 0
             ? row.id.substr(row.subject.size() + 1)
             : row.clip;
}

/// The subject without its dataset prefix ("casme2/sub01" -> "sub01").
std::string plain_subject(const io::ManifestRow& row) {
  const auto it = row.extra.find("dataset");
  if (it != row.extra.end() && row.subject.rfind(it->second + "/", 0) == 0)
    return row.subject.substr(it->second.size() + 1);
  return row.subject;
}

std::string dataset_of(const io::ManifestRow& row, const std::string& fallback) {
  const auto it = row.extra.find("dataset");
  return it == row.extra.end() || it->second.empty() ? fallback : it->second;
}

/// The clip's flow, [3, 1, H, W] in [0, 1], as the CV_32FC3 image flow_image_bgr takes.
cv::Mat stacked_of(const ClipSample& sample) {
  const int h = static_cast<int>(sample.shape[2]), w = static_cast<int>(sample.shape[3]);
  std::vector<cv::Mat> planes;
  for (int ch = 0; ch < 3; ++ch)
    planes.emplace_back(h, w, CV_32F, const_cast<float*>(sample.data.data()) + static_cast<size_t>(ch) * h * w);
  cv::Mat stacked;
  cv::merge(planes, stacked);
  return stacked;
}

void write_atomically(const fs::path& path, const std::string& text) {
  const fs::path temp = path.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw StorageError(temp.string(), "cannot write");
  }
  fs::rename(temp, path);
}

}  // namespace

std::string flow_image_name(const io::ManifestRow& row) {
  std::string name = plain_subject(row) + "_" + clip_of(row);
  std::replace(name.begin(), name.end(), '/', '_');
  std::replace(name.begin(), name.end(), '\\', '_');
  return name + ".png";
}

FlowExportResult export_flow_images(const std::vector<io::ManifestRow>& rows, const FlowExportOptions& options,
                                    const std::function<void(int64_t, int64_t)>& on_done) {
  ClipSpec spec = options.input;
  spec.kind = InputKind::Flow;
  spec.flow_norm = FlowNorm::MinMax;
  spec.channels = 3;
  spec.frames = 1;
  spec.augment = {};
  spec.jitter = 0;
  const fs::path out(options.out_dir), images = out / "images";
  std::error_code ec;
  fs::create_directories(images, ec);
  if (ec) throw StorageError(images.string(), "cannot create the folder: " + ec.message());

  FlowExportResult result;
  // One image name per clip: a second row with the same name fails, named.
  std::vector<std::string> names(rows.size());
  std::vector<char> name_taken(rows.size(), 0);  // read by the threads, written before them
  std::map<std::string, size_t> owner;
  for (size_t i = 0; i < rows.size(); ++i) {
    names[i] = flow_image_name(rows[i]);
    const auto [it, fresh] = owner.emplace(names[i], i);
    if (!fresh) name_taken[i] = 1;
    if (!fresh)
      result.failures[static_cast<int64_t>(i)] = rows[i].path + ": its image name " + names[i] + " is taken by " +
                                                 rows[it->second].id + " (line " + std::to_string(rows[it->second].line) + ")";
  }

  std::atomic<size_t> next{0};
  std::atomic<int64_t> done{0}, written{0}, kept{0};
  std::mutex mutex;  // failures, on_done
  const auto total = static_cast<int64_t>(rows.size());
  auto work = [&] {
    ClipLoader loader(spec);
    for (size_t i = next++; i < rows.size(); i = next++) {
      const io::ManifestRow& row = rows[i];
      std::string error;
      if (!name_taken[i]) {
        const fs::path path = images / names[i];
        try {
          if (fs::exists(path)) {
            ++kept;
          } else {
            const ClipSample sample = loader.load(row.path, {row.onset, row.apex, row.offset});
            const fs::path temp = images / (names[i] + ".tmp.png");
            write_flow_image(temp.string(), stacked_of(sample));
            fs::rename(temp, path);
            ++written;
          }
        } catch (const Error& e) {
          error = e.what();
        } catch (const std::exception& e) {  // an OpenCV error on a strange frame: still this clip's failure
          error = row.path + ": " + e.what();
        }
      }
      std::lock_guard lock(mutex);
      if (!error.empty()) result.failures[static_cast<int64_t>(i)] = error;
      if (on_done) on_done(++done, total);
    }
  };
  {
    std::vector<std::thread> threads;
    for (int w = 1; w < std::max(1, options.workers); ++w) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
  }
  result.written = written;
  result.kept = kept;

  // The files naming the images: a mexa manifest, the composite's CSV, the failures.
  const bool datasets = std::any_of(rows.begin(), rows.end(), [](const auto& r) { return r.extra.count("dataset") > 0; });
  const bool composite = options.classes == io::megc3_classes();
  std::string manifest = std::string("subject,clip,path,onset,apex,offset,emotion,aus,fps") + (datasets ? ",dataset" : "") + "\n";
  std::string megc = "dataset,sub,filename_o,label,apex,imagename\n";
  std::string failed = "id,path,error\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const io::ManifestRow& row = rows[i];
    if (const auto f = result.failures.find(static_cast<int64_t>(i)); f != result.failures.end()) {
      failed += io::csv_escape(row.id) + "," + io::csv_escape(row.path) + "," + io::csv_escape(f->second) + "\n";
      continue;
    }
    manifest += io::csv_escape(row.subject) + "," + io::csv_escape(clip_of(row)) + "," +
                io::csv_escape("images/" + names[i]) + ",0,0,0," + io::csv_escape(row.emotion) + "," +
                io::csv_escape(row.aus) + "," + (datasets ? "," + io::csv_escape(dataset_of(row, options.dataset)) : "") +
                "\n";
    if (composite && row.label >= 0) {
      const int64_t apex = row.apex >= 0 ? row.apex : row.onset + (row.offset - row.onset) / 2;
      megc += io::csv_escape(dataset_of(row, options.dataset)) + "," + io::csv_escape(plain_subject(row)) + "," +
              io::csv_escape(clip_of(row)) + "," + std::to_string(row.label) + "," + std::to_string(apex) + "," +
              io::csv_escape(names[i]) + "\n";
    }
  }
  result.manifest = (out / "manifest.csv").string();
  write_atomically(result.manifest, manifest);
  if (composite) {
    result.composite = (out / "megc2019.csv").string();
    write_atomically(result.composite, megc);
  }
  const fs::path failed_path = out / "failed.csv";
  if (!result.failures.empty()) {
    result.failed = failed_path.string();
    write_atomically(failed_path, failed);
  } else {
    fs::remove(failed_path, ec);  // an earlier run's failures are gone
  }
  return result;
}

}  // namespace mexa::temporal
