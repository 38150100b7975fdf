#include "mexa/io/class_sets.h"

#include <algorithm>
#include <stdexcept>

#include "mexa/io/csv.h"
#include "mexa/io/errors.h"
#include "mexa/io/text.h"

namespace mexa::io {
namespace {

/// The datasets' spellings -> mexa's names (CAS(ME)^3 writes happy and sad,
/// SAMM Other, CASME II others; the rest as papers and users write them).
const std::map<std::string, std::string>& spellings() {
  static const std::map<std::string, std::string> table{
      {"happy", "happiness"},   {"happiness", "happiness"}, {"sad", "sadness"},        {"sadness", "sadness"},
      {"angry", "anger"},       {"anger", "anger"},         {"disgusted", "disgust"},  {"disgust", "disgust"},
      {"fearful", "fear"},      {"fear", "fear"},           {"surprised", "surprise"}, {"surprise", "surprise"},
      {"contemptuous", "contempt"}, {"contempt", "contempt"}, {"other", "others"},     {"others", "others"},
      {"repression", "repression"}, {"repressed", "repression"}};
  return table;
}

}  // namespace

std::vector<std::string> dfme_classes() {
  return {"happiness", "sadness", "anger", "contempt", "fear", "disgust", "surprise"};
}

std::vector<std::string> megc3_classes() { return {"negative", "positive", "surprise"}; }

std::set<std::string> megc3_excluded() { return {"others", "other"}; }

std::map<std::string, std::string> megc3_aliases() {
  return {{"happiness", "positive"}, {"happy", "positive"},      {"positive", "positive"},
          {"surprise", "surprise"},  {"anger", "negative"},      {"angry", "negative"},
          {"contempt", "negative"},  {"disgust", "negative"},    {"sadness", "negative"},
          {"sad", "negative"},       {"fear", "negative"},       {"repression", "negative"},
          {"negative", "negative"}};
}

std::string emotion_name(const std::string& text) {
  const std::string t = lower_trim(text);
  const auto it = spellings().find(t);
  return it == spellings().end() ? t : it->second;
}

bool known_emotion(const std::string& text) {
  const std::string name = emotion_name(text);
  if (spellings().count(name)) return true;
  static const std::set<std::string> others{"negative", "positive", "tense", "micro", "macro"};
  return others.count(name) > 0;
}

std::string class_set_name(const std::vector<std::string>& classes) {
  if (classes == dfme_classes()) return "dfme";
  if (classes == megc3_classes()) return "megc3";
  std::string out;
  for (const auto& c : classes) out += (out.empty() ? "" : ",") + c;
  return out;
}

std::vector<std::string> parse_class_set(const std::string& text) {
  if (text == "dfme") return dfme_classes();
  if (text == "megc3") return megc3_classes();
  if (text.find(',') == std::string::npos)
    throw std::invalid_argument("must be dfme, megc3 or a comma-separated list of two or more classes (got '" + text +
                                "')");
  std::vector<std::string> names;
  std::string item;
  for (char c : text + ",") {
    if (c != ',') {
      item += c;
      continue;
    }
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty()) throw std::invalid_argument("'" + text + "' has an empty class name");
    for (const auto& name : names)
      if (ascii_lower(name) == ascii_lower(item)) throw std::invalid_argument("'" + text + "' names " + item + " twice");
    names.push_back(item);
    item.clear();
  }
  return names;
}

std::map<std::string, std::string> read_class_map(const std::string& path) {
  std::map<std::string, std::string> out;
  for (const auto& record : read_csv_file(path)) {
    if (record.fields.empty() || lower_trim(record.fields[0]).empty() || lower_trim(record.fields[0])[0] == '#')
      continue;
    if (record.fields.size() != 2 || lower_trim(record.fields[1]).empty())
      throw DataError(path, "line " + std::to_string(record.line) + ": expected 'alias,class'");
    out[lower_trim(record.fields[0])] = lower_trim(record.fields[1]);
  }
  if (out.empty()) throw DataError(path, "no 'alias,class' line");
  return out;
}

}  // namespace mexa::io
