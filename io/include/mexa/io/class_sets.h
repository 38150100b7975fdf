// Class sets and the spellings of emotions: DFME's 7 classes, MEGC's 3, each
// dataset's own labels, and the spellings the datasets' files use ("happy",
// "sad", "Other") mapped onto mexa's emotion names.
//
// Stateless functions, thread-safe.
//
//   auto names = mexa::io::parse_class_set("happiness,disgust,repression,surprise,others");
//   mexa::io::emotion_name("Happy");   // "happiness"
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace mexa::io {

/// DFME's 7 classes in mexa's order.
std::vector<std::string> dfme_classes();
/// MEGC 2019 composite classes: negative, positive, surprise.
std::vector<std::string> megc3_classes();
/// Emotion names of the datasets -> MEGC 3 classes (happiness -> positive;
/// surprise -> surprise; anger, contempt, disgust, sadness, fear, repression -> negative).
std::map<std::string, std::string> megc3_aliases();
/// Emotions MEGC's composite leaves out ("others" of CASME II, "other" of SAMM).
std::set<std::string> megc3_excluded();

/// mexa's name for an emotion as a dataset spells it, lower case: happy ->
/// happiness, sad -> sadness, angry -> anger, disgusted -> disgust, fearful ->
/// fear, surprised -> surprise, contemptuous -> contempt, other -> others;
/// any other text lower-cased and trimmed.
std::string emotion_name(const std::string& text);
/// Whether the text names an emotion of some dataset's label set (after
/// emotion_name): a row with such a class outside the chosen set is excluded
/// by the class set, not a bad row.
bool known_emotion(const std::string& text);

/// "dfme", "megc3", or the names joined by commas (what --classes takes back).
std::string class_set_name(const std::vector<std::string>& classes);
/// "dfme", "megc3" or a comma-separated list of two or more names, each once
/// (case-insensitive). Throws std::invalid_argument saying what is wrong.
std::vector<std::string> parse_class_set(const std::string& text);

/// A class map file: one "alias,class" line each (blank lines and lines
/// starting with '#' ignored), aliases lower-cased. Throws DataError naming the
/// file and line.
std::map<std::string, std::string> read_class_map(const std::string& path);

}  // namespace mexa::io
