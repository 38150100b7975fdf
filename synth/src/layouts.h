// The datasets' own layouts for `mexa synth --layout`: where a clip's frames
// go and how they are named (CASME II, SAMM, SMIC, CAS(ME)^3; CAS(ME)^2 and
// SAMM long videos), how each dataset spells its labels and action units,
// and one writer per layout for the dataset's own annotation file(s),
// written beside mexa's annotations.csv. Internal to synth/.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "mexa/synth/generator.h"
#include "render.h"

namespace mexa::synth::detail {

namespace fs = std::filesystem;

/// A clip's place in a dataset layout: folder (relative to DIR), file naming,
/// and the dataset's subject and clip names.
struct LayoutPlace {
  fs::path folder;
  std::string prefix;
  int64_t first = 1;
  int width = 0;
  std::string subject, clip;
  std::string ext;  ///< "" = the format's
};

/// A short clip's place in `layout` (not Layout::Mexa).
LayoutPlace layout_place(Layout layout, int subject, int clip, const std::string& emotion);

/// MEGC's 3 classes, as SMIC annotates (and folders) its clips.
std::string smic_class(const std::string& emotion);

/// A long video's place: its frame folder (relative to DIR) and file naming,
/// and the subject as the dataset names it.
struct LongPlace {
  fs::path folder;
  std::string prefix = "img";
  int width = 0;
  std::string subject;
};

/// The dataset's own annotation file(s) of one layout.
class LayoutWriter {
 public:
  virtual ~LayoutWriter() = default;
  /// One micro-expression `e` of the short clip at `place`.
  virtual void clip_row(const LayoutPlace& place, const Movement& e) = 0;
  /// Long videos: where subject `s`'s video goes (naming sheets written as a side effect).
  virtual LongPlace long_place(int s, const fs::path& default_folder, const std::string& default_subject);
  /// Long videos: interval `interval` (1-based) of subject `s`'s video, in file numbers (1-based).
  virtual void interval_row(int s, const LongPlace& place, int interval, const Movement& m);
};

/// The writer of `options.layout`, its file(s) created with their headers
/// (summary.dataset_annotations names the main one); nullptr for mexa's own layout.
std::unique_ptr<LayoutWriter> make_layout_writer(const SynthOptions& options, const fs::path& out, SynthSummary& summary);

}  // namespace mexa::synth::detail
