// Fault injection for crash tests: named points in the product where a test
// can make the process die or interrupt itself at an exact moment, so crash
// safety is tested deterministically, whatever the machine's speed (the way
// etcd's gofail or FoundationDB's simulation place their faults).
//
// Armed through the environment, read once per process:
//
//   MEXA_FAILPOINT=NAME:N[,NAME:N...]
//
// When the point NAME is reached for the N-th time (1-based), the action in
// its name is taken: `kill-*` points raise SIGKILL (no handler, no flush, no
// destructor runs), `interrupt-*` points raise SIGINT (as a user's Ctrl-C),
// `throw-*` points throw std::logic_error (a programming error's stand-in).
// Unarmed points cost a function call and an empty-map check. With several
// threads passing one point, which thread's pass is the N-th is up to the
// scheduler (the count itself is exact).
//
// Points placed today (io::ResultsWriter::append, one call per batch):
//   kill-mid-batch       rows of the batch written, nothing flushed yet
//   kill-before-commit   rows flushed, /committed_rows not yet updated
//   kill-after-commit    the batch committed (a reader must see it)
//   interrupt-after-commit  SIGINT after the batch committed
// and in pipeline::ClipAnalyser::analyse, once per clip:
//   throw-in-analysis    a bug while analysing a clip (status internal_error)
// and in `mexa train`, once per training step (every rank):
//   kill-in-training-step  a rank dies mid-epoch (the others must stop, exit 3)
//
// Thread-safe: counters are atomic.
//
//   mexa::io::failpoint("kill-after-commit");  // dies here on the N-th call when armed
#pragma once

#include <string>
#include <vector>

namespace mexa::io {

/// Counts a pass through point `name`; takes the point's action when the
/// environment armed it for this pass. Throws std::invalid_argument on the
/// first call when MEXA_FAILPOINT is malformed or names an unknown point.
void failpoint(const char* name);

/// Throws std::invalid_argument when MEXA_FAILPOINT is malformed (call at
/// start-up so a typo fails before any work, not at the first point).
void check_failpoints();

/// The names failpoint() accepts (for messages and tests).
const std::vector<std::string>& failpoint_names();

}  // namespace mexa::io
