// The results file's small free functions: status names, the resume check,
// how over-long text is stored in fixed-width columns, the creation time.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "mexa/io/results.h"
#include "results_columns.h"

namespace mexa::io {

std::string valid_utf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    // Length of a well-formed sequence starting here (RFC 3629: no overlongs,
    // no surrogates, nothing above U+10FFFF); 0 when it is not one.
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n > 1) {
      if (i + n > text.size()) n = 0;
      for (size_t k = 1; n && k < n; ++k)
        if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) n = 0;
      if (n) {
        const auto c1 = static_cast<unsigned char>(text[i + 1]);
        if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
          n = 0;
      }
    }
    if (n == 0) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

std::string stored_text(const std::string& raw, size_t width) {
  const std::string text = valid_utf8(raw);
  if (text.size() <= width) return text;
  uint64_t hash = 14695981039346656037ull;  // FNV-1a 64 of the whole text
  for (unsigned char c : text) hash = (hash ^ c) * 1099511627211ull;
  char head[20];
  std::snprintf(head, sizeof head, "~%016llx~", static_cast<unsigned long long>(hash));
  size_t from = text.size() - (width - 18);
  while (from < text.size() && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) ++from;  // UTF-8 boundary
  return head + text.substr(from);
}

std::string stored_clip_id(const std::string& id) { return stored_text(id, detail::kIdWidth); }

std::string with_h5_suffix(const std::string& path, const std::string& suffix) {
  const auto dot = path.rfind(".h5");
  return dot != std::string::npos && dot + 3 == path.size() ? path.substr(0, dot) + suffix + ".h5" : path + suffix;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string resume_mismatch(const ResultsMeta& existing, const ResultsMeta& wanted) {
  auto differs = [](const std::string& what, const std::string& file, const std::string& run) {
    return what + " differs (file: " + file + "; this run: " + run + ")";
  };
  auto joined = [](const std::vector<std::string>& names) {
    std::string text;
    for (const auto& n : names) text += (text.empty() ? "" : ",") + n;
    return text;
  };
  auto yes_no = [](bool b) { return std::string(b ? "yes" : "no"); };
  if (existing.checkpoint_sha256 != wanted.checkpoint_sha256)
    return differs("checkpoint sha256", existing.checkpoint_sha256, wanted.checkpoint_sha256);
  // The file holds its text attributes as valid_utf8() wrote them.
  if (existing.model != valid_utf8(wanted.model)) return differs("model", existing.model, wanted.model);
  if (existing.class_names != wanted.class_names)
    return differs("class names", joined(existing.class_names), joined(wanted.class_names));
  if (existing.feature_dim != wanted.feature_dim)
    return differs("apex feature size", std::to_string(existing.feature_dim), std::to_string(wanted.feature_dim));
  if (existing.frame_landmarks != wanted.frame_landmarks)
    return differs("per-frame landmarks", yes_no(existing.frame_landmarks), yes_no(wanted.frame_landmarks));
  if (existing.frame_probs != wanted.frame_probs)
    return differs("per-frame probabilities", yes_no(existing.frame_probs), yes_no(wanted.frame_probs));
  if (existing.shard != wanted.shard)
    return differs("shard", existing.shard.empty() ? "none" : existing.shard, wanted.shard.empty() ? "none" : wanted.shard);
  // A shard is a block of whole batches of the input list: another --batch or list cuts other blocks.
  if (existing.shard_batch != wanted.shard_batch)
    return differs("the shards' --batch", std::to_string(existing.shard_batch), std::to_string(wanted.shard_batch));
  if (existing.shard_inputs != wanted.shard_inputs)
    return differs("the number of inputs the shards were cut from", std::to_string(existing.shard_inputs),
                   std::to_string(wanted.shard_inputs));
  if (existing.config != valid_utf8(wanted.config)) return "the run's config differs (model metadata or scoring options)";
  return "";
}

const char* clip_status_name(ClipStatus status) {
  switch (status) {
    case ClipStatus::Ok: return "ok";
    case ClipStatus::NoFace: return "no_face";
    case ClipStatus::DecodeError: return "decode_error";
    case ClipStatus::BadAnnotation: return "bad_annotation";
    case ClipStatus::ModelError: return "model_error";
    case ClipStatus::InternalError: return "internal_error";
  }
  return "unknown";
}

}  // namespace mexa::io
