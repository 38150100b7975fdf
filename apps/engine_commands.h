// The commands that need the engine (LibTorch): the one list that the
// launcher (`mexa`, launcher.cpp) and the command table (main.cpp) read.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace mexa::cli {

inline constexpr std::array<std::string_view, 4> kEngineCommands{"train", "eval", "score", "version"};

inline bool needs_engine(std::string_view command) {
  return std::find(kEngineCommands.begin(), kEngineCommands.end(), command) != kEngineCommands.end();
}

}  // namespace mexa::cli
