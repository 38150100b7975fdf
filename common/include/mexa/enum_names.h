// One table per enum: the names a command line, a config file, a checkpoint
// and an error message use for its values, read and written from that table
// alone. Header-only; every module may include it (mexa::common).
//
//   const mexa::EnumNames<Protocol> names("protocol", {{Protocol::Split, "split"}, {Protocol::Loso, "loso"}});
//   names.parse("loso")        // Protocol::Loso
//   names.name(Protocol::Split)  // "split"
//   names.parse("x")           // std::invalid_argument: "protocol must be split or loso (got 'x')"
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mexa {

template <typename E>
class EnumNames {
 public:
  struct Entry {
    E value;
    std::string name;
  };

  /// `what` names the setting in messages ("protocol", "--input"); `aliases`
  /// are extra spellings parse() accepts (older names), never printed.
  EnumNames(std::string what, std::vector<Entry> entries, std::vector<Entry> aliases = {})
      : what_(std::move(what)), entries_(std::move(entries)), aliases_(std::move(aliases)) {}

  /// The value's name; std::logic_error for a value the table lacks (a programming error).
  const std::string& name(E value) const {
    for (const auto& e : entries_)
      if (e.value == value) return e.name;
    throw std::logic_error(what_ + ": a value with no name");
  }

  /// The value named `text` (or an alias); std::invalid_argument listing the names.
  E parse(const std::string& text) const {
    for (const auto* list : {&entries_, &aliases_})
      for (const auto& e : *list)
        if (e.name == text) return e.value;
    throw std::invalid_argument(what_ + " must be " + choices() + " (got '" + text + "')");
  }

  /// "a, b or c": for messages and --help.
  std::string choices() const {
    std::string out;
    for (size_t k = 0; k < entries_.size(); ++k)
      out += (k == 0 ? "" : k + 1 == entries_.size() ? " or " : ", ") + entries_[k].name;
    return out;
  }

  /// Every name, in table order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
  }

 private:
  std::string what_;
  std::vector<Entry> entries_, aliases_;
};

}  // namespace mexa
