// Replacing this process with another mexa executable from the same folder.
#pragma once

namespace mexa::cli {

/// Execs `binary` (a file name: mexa-core, mexa-torch) from the folder of
/// this executable, with the same arguments. Returns only when that fails:
/// prints why and returns exit code 3.
int exec_sibling(const char* binary, char** argv);

/// Execs `mexa-torch` for an engine command (argv[1]), with the environment
/// that must be set before LibTorch loads: for `score`,
/// OMP_WAIT_POLICY=PASSIVE unless already set (docs/scoring.md). Returns
/// only when that fails, as exec_sibling.
int exec_engine(char** argv);

}  // namespace mexa::cli
