// Replacing this process with another mexa executable from the same folder.
#pragma once

namespace mexa::cli {

/// Execs `binary` (a file name: mexa-core, mexa-torch) from the folder of
/// this executable, with the same arguments. Returns only when that fails:
/// prints why and returns exit code 3.
int exec_sibling(const char* binary, char** argv);

}  // namespace mexa::cli
