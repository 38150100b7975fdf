// The commands that need the engine (LibTorch), as the launcher (`mexa`,
// launcher.cpp) and mexa-core (main.cpp) decide where a command runs. The
// command table in main.cpp names them too; a command it gives no function in
// mexa-core still reaches mexa-torch, through mexa-core (one more start-up).
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
