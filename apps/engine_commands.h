// The commands that need the engine (LibTorch): the launcher (`mexa`,
// launcher.cpp) execs mexa-torch for these without linking the command table.
// In that table (main.cpp) they are the entries mexa-core gives no function;
// one missing here still reaches mexa-torch, through mexa-core (one more
// start-up).
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
