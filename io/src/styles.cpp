#include "mexa/io/styles.h"

#include <algorithm>
#include <filesystem>

#include "mexa/io/errors.h"
#include "mexa/io/text.h"

namespace mexa::io {

const std::vector<StyleInfo>& styles() {
  using S = AnnotationStyle;
  static const std::vector<StyleInfo> table{
      {.style = S::Mexa, .name = "mexa", .dataset = "mexa's manifest", .index_base = "0",
       .file_keys = {"annotations.csv"}, .classes = "dfme",
       .layout = "any: the path column names each video file or frame folder"},
      {.style = S::Dfme, .name = "dfme", .dataset = "DFME", .index_base = "0", .file_keys = {"dfme", "annotations.csv"},
       .classes = "dfme", .layout = "mexa's columns; fps per row, else from a part column or a part_A/B/C folder",
       .uncertain = "the release's own annotation columns are not public here: mexa's columns are expected; "
                    "part A is 500 fps, B 300, C 200"},
      {.style = S::Casme2, .name = "casme2", .aliases = {"casmeii", "casme ii", "casme-2"}, .dataset = "CASME II",
       .path_template = "sub{subject:02}/{clip}", .index_base = "folder", .fps = 200,
       .file_keys = {"casme2", "casme_2", "casme ii"}, .classes = "happiness,disgust,repression,surprise,others",
       .layout = "CASME2_RAW/sub01/EP02_01f/img46.jpg (reg_img46.jpg in the cropped set)"},
      {.style = S::Samm, .name = "samm", .dataset = "SAMM", .path_template = "{subject:03}/{clip}",
       .index_base = "folder", .fps = 200, .file_keys = {"samm"}, .file_excludes = {"long"},
       .classes = "anger,contempt,disgust,fear,happiness,other,sadness,surprise",
       .layout = "006/006_1_2/006_05562.jpg"},
      {.style = S::Smic, .name = "smic", .aliases = {"smic-hs", "smic_hs"}, .dataset = "SMIC-HS",
       .path_template = "HS/{subject}/micro/{emotion}/{clip}", .index_base = "first_frame", .fps = 100,
       .file_keys = {"smic"},
       .file_excludes = {"smic-vis", "smic_vis", "vis-e", "vis_e", "smic-nir", "smic_nir", "nir-e", "nir_e"},
       .classes = "megc3",
       .layout = "SMIC_all_raw/HS/s1/micro/negative/s1_ne_01/image0106433.bmp",
       .uncertain = "the HS/VIS/NIR folder above the subjects (ROOT is SMIC_all_raw)"},
      {.style = S::SmicVis, .name = "smic-vis", .aliases = {"smic_vis"}, .dataset = "SMIC-VIS",
       .path_template = "VIS/{subject}/micro/{emotion}/{clip}", .index_base = "first_frame", .fps = 25,
       .file_keys = {"smic-vis", "smic_vis", "vis-e", "vis_e"}, .classes = "megc3",
       .layout = "SMIC_all_raw/VIS/s1/micro/negative/s1_ne_01/image*.bmp",
       .uncertain = "the folder and file naming are taken to be SMIC-HS's, under VIS/"},
      {.style = S::SmicNir, .name = "smic-nir", .aliases = {"smic_nir"}, .dataset = "SMIC-NIR",
       .path_template = "NIR/{subject}/micro/{emotion}/{clip}", .index_base = "first_frame", .fps = 25,
       .file_keys = {"smic-nir", "smic_nir", "nir-e", "nir_e"}, .classes = "megc3",
       .layout = "SMIC_all_raw/NIR/s1/micro/negative/s1_ne_01/image*.bmp",
       .uncertain = "the folder and file naming are taken to be SMIC-HS's, under NIR/"},
      {.style = S::Casme3, .name = "casme3", .aliases = {"cas(me)3", "cas(me)^3"}, .dataset = "CAS(ME)^3 part A",
       .path_template = "{subject}/{clip}/color", .index_base = "folder", .fps = 30,
       .file_keys = {"cas(me)3", "cas(me)^3", "casme3", "casme_3"},
       .classes = "anger,disgust,fear,happiness,sadness,surprise", .several_per_clip = true,
       .layout = "spNO.1/a/color/0.jpg", .uncertain = "the frame rate (30)"},
      {.style = S::CasmeSq, .name = "casme-sq", .aliases = {"cas(me)2", "cas(me)^2", "casme_sq", "casmesq"},
       .dataset = "CAS(ME)^2 long videos",
       .path_template = "rawpic/s{subject_code}/{subject_code}_{video_code}*", .index_base = "folder", .fps = 30,
       .file_keys = {"cas(me)^2", "cas(me)2", "casme^2", "casme_sq", "code_final"},
       .positional = {"subject", "clip", "onset", "apex", "offset", "aus", "emotion", "type", "self_report"},
       .classes = "megc3", .expression = "micro",
       .layout = "rawpic/s15/15_0101disgustingteeth/img1.jpg",
       .uncertain = "the naming sheets: sheet 2 maps subject numbers to folder codes (column B code, C number), "
                    "sheet 3 maps video names to 4-digit codes (A code, B name)"},
      {.style = S::SammLv, .name = "samm-lv", .aliases = {"samm_lv", "sammlv", "samm-long"},
       .dataset = "SAMM long videos", .path_template = "{video}", .index_base = "folder", .fps = 200,
       .file_keys = {"samm_longvideos", "samm_lv", "samm-lv", "longvideos"}, .classes = "micro,macro",
       .expression = "all", .emotion_from_type = true, .layout = "SAMM_longvideos/006_1/006_1_0001.jpg",
       .uncertain = "the frame file naming; the release annotates no emotion: the class is the type (micro/macro)"},
      {.style = S::Megc2019, .name = "megc2019", .aliases = {"megc-2019", "megc_2019"},
       .dataset = "MEGC 2019 composite (flow images)", .path_template = "{subject}_{clip}", .index_base = "0",
       .file_keys = {"megc2019", "megc_2019", "megc-2019"}, .classes = "megc3",
       .columns = {{"sub", "subject"}, {"filename_o", "clip"}, {"label", "emotion"}, {"apex", ""}},
       .images = true, .subject_prefix = "dataset", .label_codes = {"negative", "positive", "surprise"},
       .recipe = "ststnet",
       .layout = "IMAGE_DIR/sub01_EP02_01f.png: one 28x28 flow image per clip (R u, G v, B strain), and a CSV "
                 "dataset,sub,filename_o,label,apex,imagename (label 0 negative, 1 positive, 2 surprise)",
       .uncertain = "the imagename column names another folder's apex frame and is not used"},
  };
  return table;
}

const StyleInfo& style_info(AnnotationStyle style) {
  for (const auto& s : styles())
    if (s.style == style) return s;
  return styles().front();
}

AnnotationStyle parse_annotation_style(const std::string& name) {
  const std::string n = lower_trim(name);
  std::string names;
  for (const auto& s : styles()) {
    if (n == s.name || std::find(s.aliases.begin(), s.aliases.end(), n) != s.aliases.end()) return s.style;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  throw DataError("", "unknown annotation style '" + name + "' (" + names + ")");
}

bool name_matches(const StyleInfo& style, const std::string& name, bool generic) {
  const std::string text = ascii_lower(name);
  const auto has = [&](const std::string& k) { return text.find(k) != std::string::npos; };
  const auto key = [&](const std::string& k) { return (generic || k != "annotations.csv") && has(k); };
  return std::any_of(style.file_keys.begin(), style.file_keys.end(), key) &&
         std::none_of(style.file_excludes.begin(), style.file_excludes.end(), has);
}

bool guess_style(const std::string& name, AnnotationStyle& style) {
  const std::string file = std::filesystem::path(name).filename().string();
  for (const auto& s : styles())
    if (s.style != AnnotationStyle::Mexa && name_matches(s, file, /*generic=*/false)) {
      style = s.style;
      return true;
    }
  return false;
}

std::string expression_type(const std::string& text) {
  const std::string t = ascii_lower(text);
  if (t.find("micro") != std::string::npos) return "micro";
  if (t.find("macro") != std::string::npos) return "macro";
  return t;
}

}  // namespace mexa::io
