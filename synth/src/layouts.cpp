#include "layouts.h"

#include <cctype>
#include <cstdio>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"

namespace mexa::synth::detail {

/// MEGC's 3 classes, as SMIC annotates (and folders) its clips.
std::string smic_class(const std::string& emotion) {
  return emotion == "happiness" ? "positive" : emotion == "surprise" ? "surprise" : "negative";
}

namespace {

/// A clip's emotion as the dataset's own file spells it, within its own
/// label set: CASME II's negative classes are written "repression" (its
/// 5-class protocol keeps them, and MEGC maps them to negative as it maps
/// the true emotion); SAMM capitalises; CAS(ME)^3 writes happy and sad, and
/// "others" for contempt (a label outside its 6 classes: excluded).
std::string dataset_label(Layout layout, const std::string& emotion) {
  if (layout == Layout::Casme2)
    return emotion == "happiness" || emotion == "disgust" || emotion == "surprise" ? emotion : "repression";
  if (layout == Layout::Samm) {
    std::string out = emotion;
    if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    return out;
  }
  if (layout == Layout::Casme3)
    return emotion == "happiness" ? "happy" : emotion == "sadness" ? "sad" : emotion == "contempt" ? "others" : emotion;
  return emotion;
}

/// "AU6+AU12" -> "6+12" (SAMM's spelling).
std::string bare_aus(const std::string& aus) {
  std::string out;
  for (size_t i = 0; i < aus.size(); ++i)
    if (!(aus.compare(i, 2, "AU") == 0 && (i == 0 || aus[i - 1] == '+'))) out += aus[i];
    else ++i;
  return out;
}

std::ofstream open_file(const fs::path& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw StorageError(path.string(), "cannot write");
  return out;
}

/// CASME II: CASME2-coding-*.xlsx's columns (two unnamed blank ones), the 5-class labels.
class Casme2Writer : public LayoutWriter {
 public:
  explicit Casme2Writer(const fs::path& path) : file_(open_file(path)) {
    file_ << "Subject,Filename,Unnamed: 2,OnsetFrame,ApexFrame,OffsetFrame,Unnamed: 6,Action Units,Estimated Emotion\n";
  }
  void clip_row(const LayoutPlace& p, const Movement& e) override {
    const int64_t f = p.first;
    file_ << p.subject << ',' << p.clip << ",," << f + e.onset << ',' << f + e.apex << ',' << f + e.offset << ",,"
          << io::csv_escape(bare_aus(e.aus)) << ',' << dataset_label(Layout::Casme2, e.emotion) << '\n';
  }

 private:
  std::ofstream file_;
};

/// SMIC-HS: no apex (spotted), frame numbers relative to FirstF, MEGC's 3 classes.
class SmicWriter : public LayoutWriter {
 public:
  explicit SmicWriter(const fs::path& path) : file_(open_file(path)) {
    file_ << "Subject,Filename,OnsetF,OffsetF,Emotion,FirstF\n";  // no apex: spotted
  }
  void clip_row(const LayoutPlace& p, const Movement& e) override {
    const int64_t f = p.first;
    file_ << p.subject << ',' << p.clip << ',' << f + e.onset << ',' << f + e.offset << ',' << smic_class(e.emotion)
          << ',' << f << '\n';
  }

 private:
  std::ofstream file_;
};

/// CAS(ME)^3 part A: one row per micro-expression, several per video.
class Casme3Writer : public LayoutWriter {
 public:
  explicit Casme3Writer(const fs::path& path) : file_(open_file(path)) {
    file_ << "Subject,Filename,Onset,Apex,Offset,AU,Objective class,emotion\n";
  }
  void clip_row(const LayoutPlace& p, const Movement& e) override {
    const int64_t f = p.first;
    file_ << p.subject << ',' << p.clip << ',' << f + e.onset << ',' << f + e.apex << ',' << f + e.offset << ','
          << io::csv_escape(bare_aus(e.aus)) << ",1," << dataset_label(Layout::Casme3, e.emotion) << '\n';
  }

 private:
  std::ofstream file_;
};

/// SAMM: the header below free-text rows, capitalised labels.
class SammWriter : public LayoutWriter {
 public:
  explicit SammWriter(const fs::path& path) : file_(open_file(path)) {
    file_ << "Facial Micro-movement coding (synthetic, mexa synth --layout samm),,,,,,,,,,,\n";
    for (int i = 0; i < 10; ++i) file_ << "free-text note " << i + 1 << ",,,,,,,,,,,\n";
    file_ << "Subject,Filename,Inducement Code,Onset Frame,Apex Frame,Offset Frame,Duration,Type,Action Units,"
             "Estimated Emotion,Objective Classes,Notes\n";
  }
  void clip_row(const LayoutPlace& p, const Movement& e) override {
    const int64_t f = p.first;
    file_ << p.subject << ',' << p.clip << ",1," << f + e.onset << ',' << f + e.apex << ',' << f + e.offset << ','
          << e.offset - e.onset + 1 << ",Micro - 1/2," << io::csv_escape(bare_aus(e.aus)) << ','
          << dataset_label(Layout::Samm, e.emotion) << ",1,\n";
  }

 private:
  std::ofstream file_;
};

/// CAS(ME)^2 long videos: headerless codes (offset 0 on the first interval:
/// "ends at the apex"), and the naming sheets as CSVs.
class CasmeSqWriter : public LayoutWriter {
 public:
  CasmeSqWriter(const fs::path& out, const fs::path& path)
      : file_(open_file(path)),
        subjects_(open_file(out / "CAS(ME)^2code_final_synth.subjects.csv")),
        videos_(open_file(out / "CAS(ME)^2code_final_synth.videos.csv")) {
    videos_ << "0101,synthvideo\n";
  }
  void clip_row(const LayoutPlace&, const Movement&) override {}
  LongPlace long_place(int s, const fs::path&, const std::string&) override {  // rawpic/s15/15_0101synthvideo/img1.jpg
    const std::string code = std::to_string(15 + s);
    subjects_ << "s" << code << ',' << code << ',' << s + 1 << '\n';
    return {fs::path("rawpic") / ("s" + code) / (code + "_0101synthvideo"), "img", 0, code};
  }
  void interval_row(int s, const LongPlace&, int interval, const Movement& m) override {
    file_ << s + 1 << ",synthvideo_" << interval << ',' << m.onset + 1 << ',' << m.apex + 1 << ','
          << (interval == 1 ? 0 : m.offset + 1) << ',' << io::csv_escape(bare_aus(m.aus)) << ','
          << smic_class(m.emotion) << ',' << m.type << "-expression," << m.emotion << '\n';
  }

 private:
  std::ofstream file_, subjects_, videos_;
};

/// SAMM long videos: the header below free-text rows, the type as the class.
class SammLvWriter : public LayoutWriter {
 public:
  explicit SammLvWriter(const fs::path& path) : file_(open_file(path)) {
    file_ << "SAMM long videos (synthetic, mexa synth --layout samm-lv),,,,,,,,,\n";
    for (int i = 0; i < 9; ++i) file_ << "free-text note " << i + 1 << ",,,,,,,,,\n";
    file_ << "Subject,Filename,Inducement Code,Onset,Apex,Offset,Duration,Type,Action Units,Notes\n";
  }
  void clip_row(const LayoutPlace&, const Movement&) override {}
  LongPlace long_place(int s, const fs::path&, const std::string&) override {  // SAMM_longvideos/006_1/006_1_0001.jpg
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%03d", s + 6);
    code_ = buffer;
    return {fs::path("SAMM_longvideos") / (code_ + "_1"), code_ + "_1_", 4, std::to_string(s + 6)};
  }
  void interval_row(int, const LongPlace&, int interval, const Movement& m) override {
    file_ << code_ << ',' << code_ << "_1_" << interval << ",1," << m.onset + 1 << ',' << m.apex + 1 << ','
          << m.offset + 1 << ',' << m.offset - m.onset + 1 << ',' << (m.type == "micro" ? "Micro - 1/2" : "Macro") << ','
          << io::csv_escape(bare_aus(m.aus)) << ",\n";
  }

 private:
  std::ofstream file_;
  std::string code_;
};

}  // namespace

LayoutPlace layout_place(Layout layout, int subject, int clip, const std::string& emotion) {
  char buffer[64];
  LayoutPlace p;
  if (layout == Layout::Casme2) {
    std::snprintf(buffer, sizeof buffer, "EP%02d_%02df", clip + 1, subject + 1);
    p.clip = buffer;
    std::snprintf(buffer, sizeof buffer, "sub%02d", subject + 1);
    p.folder = fs::path("CASME2_RAW") / buffer / p.clip;
    p.prefix = "reg_img";
    p.first = 1 + (clip * 17) % 60;  // CASME II numbers a clip's files from where the raw video was cut
    p.subject = std::to_string(subject + 1);
  } else if (layout == Layout::Smic) {
    // HS/s1/micro/negative/s1_ne_01/image0106433.bmp (the class folder is SMIC's 3-class label).
    const std::string cls = smic_class(emotion);
    p.subject = "s" + std::to_string(subject + 1);
    std::snprintf(buffer, sizeof buffer, "%s_%s_%02d", p.subject.c_str(), cls.substr(0, 2).c_str(), clip + 1);
    p.clip = buffer;
    p.folder = fs::path("HS") / p.subject / "micro" / cls / p.clip;
    p.prefix = "image";
    p.first = 100000 + (clip * 997) % 900000;
    p.width = 7;
    p.ext = ".bmp";
  } else if (layout == Layout::Casme3) {
    // spNO.1/a/color/0.jpg ... (part A: frames numbered from where the clip was cut).
    p.subject = "spNO." + std::to_string(subject + 1);
    p.clip = std::string(1, static_cast<char>('a' + clip % 26)) + std::to_string(clip / 26 + 1);
    p.folder = fs::path(p.subject) / p.clip / "color";
    p.prefix = "";
    p.first = (clip * 53) % 300;
  } else {
    std::snprintf(buffer, sizeof buffer, "%03d", subject + 6);  // SAMM's subjects start at 006
    const std::string s = buffer;
    p.clip = s + "_" + std::to_string(clip % 7 + 1) + "_" + std::to_string(clip + 1);
    p.folder = fs::path(s) / p.clip;
    p.prefix = s + "_";
    p.first = 1000 + (clip * 37) % 4000;
    p.width = 5;
    p.subject = std::to_string(subject + 6);
  }
  return p;
}

LongPlace LayoutWriter::long_place(int, const fs::path& default_folder, const std::string& default_subject) {
  return {default_folder, "img", 0, default_subject};
}

void LayoutWriter::interval_row(int, const LongPlace&, int, const Movement&) {}

std::unique_ptr<LayoutWriter> make_layout_writer(const SynthOptions& options, const fs::path& out, SynthSummary& summary) {
  const auto named = [&](const char* name) {
    summary.dataset_annotations = (out / name).string();
    return out / name;
  };
  switch (options.layout) {
    case Layout::Mexa: return nullptr;
    case Layout::Casme2: return std::make_unique<Casme2Writer>(named("CASME2-coding-synth.csv"));
    case Layout::Samm: return std::make_unique<SammWriter>(named("SAMM_synth_FACS_Codes.csv"));
    case Layout::Smic: return std::make_unique<SmicWriter>(named("SMIC-HS-E_annotation_synth.csv"));
    case Layout::Casme3: return std::make_unique<Casme3Writer>(named("CAS(ME)3_part_A_ME_label_synth.csv"));
    case Layout::CasmeSq: return std::make_unique<CasmeSqWriter>(out, named("CAS(ME)^2code_final_synth.csv"));
    case Layout::SammLv: return std::make_unique<SammLvWriter>(named("SAMM_LongVideos_synth.csv"));
  }
  throw std::logic_error("a layout with no writer");
}

}  // namespace mexa::synth::detail
