#include "mexa/io/frame_folder.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include "mexa/io/errors.h"
#include "mexa/io/text.h"

namespace mexa::io {
namespace {

namespace fs = std::filesystem;

struct NumberedName {
  std::string prefix;  // text before the last run of digits
  std::string digits;
  std::string suffix;  // text after it, extension included
};

bool split_number(const std::string& name, NumberedName& out) {
  const auto dot = name.rfind('.');
  const std::string stem = dot == std::string::npos ? name : name.substr(0, dot);
  size_t end = stem.size();
  while (end > 0 && !std::isdigit(static_cast<unsigned char>(stem[end - 1]))) --end;
  size_t begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(stem[begin - 1]))) --begin;
  if (begin == end || end - begin > 18) return false;
  out.prefix = name.substr(0, begin);
  out.digits = name.substr(begin, end - begin);
  out.suffix = name.substr(end);
  return true;
}

std::string escape_percent(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    escaped += c;
    if (c == '%') escaped += '%';
  }
  return escaped;
}


/// prefix + number (zero-padded to `width` digits) + suffix.
std::string numbered_name(const std::string& prefix, int64_t number, size_t width, const std::string& suffix) {
  std::string digits = std::to_string(number);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return prefix + digits + suffix;
}

}  // namespace

std::string frame_file(const FrameSequence& seq, int64_t index) {
  return numbered_name(seq.name_prefix, seq.start_number + index, seq.width, seq.name_suffix);
}

bool is_image_extension(const std::string& extension) {
  static const char* const known[] = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".pgm", ".ppm", ".webp"};
  const std::string ext = ascii_lower(extension);
  return std::any_of(std::begin(known), std::end(known), [&](const char* k) { return ext == k; });
}

FrameSequence find_frame_sequence(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw DecodeError(folder.string(), "not a folder");
  std::vector<std::string> names;
  fs::directory_iterator it(folder, ec);
  if (ec) throw DecodeError(folder.string(), "cannot list folder: " + ec.message());
  for (const auto& entry : it)
    if (entry.is_regular_file(ec)) names.push_back(entry.path().filename().string());  // subfolders and sockets are not frames
  return frame_sequence_of(folder, names);
}

FrameSequence frame_sequence_of(const fs::path& folder, const std::vector<std::string>& file_names) {
  const std::string where = folder.string();
  // Group numbered images by (prefix, suffix): "reg_img" + ".jpg" is one sequence.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> groups;
  for (const std::string& name : file_names) {
    NumberedName parts;
    if (!is_image_extension(fs::path(name).extension().string()) || !split_number(name, parts)) continue;
    groups[{parts.prefix, parts.suffix}].push_back(parts.digits);
  }
  if (groups.empty()) throw DecodeError(where, "no numbered image files (like img1.jpg or 00001.png) in folder");

  auto best = groups.begin();
  for (auto g = groups.begin(); g != groups.end(); ++g)
    if (g->second.size() > best->second.size()) best = g;
  for (auto g = groups.begin(); g != groups.end(); ++g)
    if (g != best && g->second.size() == best->second.size())
      throw DecodeError(where, "ambiguous frame sequences '" + best->first.first + "N" + best->first.second +
                                   "' and '" + g->first.first + "N" + g->first.second + "' of equal length");

  const std::string prefix = best->first.first, suffix = best->first.second;  // (clang 14 cannot capture bindings)
  std::vector<std::string>& digits = best->second;
  // Zero padding: every name has the same width and at least one starts with '0'.
  const size_t width = digits.front().size();
  const bool same_width = std::all_of(digits.begin(), digits.end(), [&](const std::string& d) { return d.size() == width; });
  const bool has_leading_zero =
      std::any_of(digits.begin(), digits.end(), [](const std::string& d) { return d.size() > 1 && d[0] == '0'; });
  if (has_leading_zero && !same_width)
    throw DecodeError(where, "frame numbers mix zero-padded and unpadded names ('" + prefix + "N" + suffix + "')");

  std::vector<int64_t> numbers;
  numbers.reserve(digits.size());
  for (const auto& d : digits) numbers.push_back(std::stoll(d));
  std::sort(numbers.begin(), numbers.end());
  const auto duplicate = std::adjacent_find(numbers.begin(), numbers.end());
  if (duplicate != numbers.end())
    throw DecodeError(where, "frame number " + std::to_string(*duplicate) + " appears twice");

  const bool padded = has_leading_zero;
  auto file_name = [&](int64_t n) { return numbered_name(prefix, n, padded ? width : 0, suffix); };
  for (size_t i = 1; i < numbers.size(); ++i) {
    if (numbers[i] != numbers[i - 1] + 1) {
      const int64_t missing = numbers[i - 1] + 1;
      const int64_t gap = numbers[i] - missing;
      throw DecodeError(where, "frame folder has a gap: " + file_name(missing) + " is missing" +
                                   (gap > 1 ? " (and " + std::to_string(gap - 1) + " more)" : "") + " between " +
                                   file_name(numbers.front()) + " and " + file_name(numbers.back()));
    }
  }

  FrameSequence seq;
  const std::string number_format = padded ? "%0" + std::to_string(width) + "d" : "%d";
  seq.pattern = escape_percent((folder / prefix).string()) + number_format + escape_percent(suffix);
  seq.first_file = (folder / file_name(numbers.front())).string();
  seq.start_number = numbers.front();
  seq.count = static_cast<int64_t>(numbers.size());
  seq.name_prefix = (folder / prefix).string();
  seq.name_suffix = suffix;
  seq.width = padded ? width : 0;
  return seq;
}

}  // namespace mexa::io
