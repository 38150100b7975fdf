// The results file's small free functions: status names, the resume check,
// and how over-long text is stored in fixed-width columns.
#include <cstdio>
#include <string>
#include <vector>

#include "mexa/io/results.h"

namespace mexa::io {

std::string stored_text(const std::string& text, size_t width) {
  if (text.size() <= width) return text;
  uint64_t hash = 14695981039346656037ull;  // FNV-1a 64 of the whole text
  for (unsigned char c : text) hash = (hash ^ c) * 1099511627211ull;
  char head[20];
  std::snprintf(head, sizeof head, "~%016llx~", static_cast<unsigned long long>(hash));
  size_t from = text.size() - (width - 18);
  while (from < text.size() && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) ++from;  // UTF-8 boundary
  return head + text.substr(from);
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
  if (existing.model != wanted.model) return differs("model", existing.model, wanted.model);
  if (existing.class_names != wanted.class_names)
    return differs("class names", joined(existing.class_names), joined(wanted.class_names));
  if (existing.feature_dim != wanted.feature_dim)
    return differs("apex feature size", std::to_string(existing.feature_dim), std::to_string(wanted.feature_dim));
  if (existing.frame_landmarks != wanted.frame_landmarks)
    return differs("per-frame landmarks", yes_no(existing.frame_landmarks), yes_no(wanted.frame_landmarks));
  if (existing.frame_probs != wanted.frame_probs)
    return differs("per-frame probabilities", yes_no(existing.frame_probs), yes_no(wanted.frame_probs));
  if (existing.config != wanted.config) return "the run's config differs (model metadata or scoring options)";
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
