// Deterministic results batches for the HDF5 tests: batch b's content is a
// function of b, so a reader can check every committed batch exactly.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "mexa/io/results.h"

namespace mexa::test {

inline constexpr int kClipsPerBatch = 4;

inline io::ResultsMeta sample_meta() {
  io::ResultsMeta meta;
  meta.class_names = {"happiness", "sadness", "anger", "contempt", "fear", "disgust", "surprise"};
  meta.feature_dim = 16;
  meta.model = "small3d";
  meta.checkpoint_sha256 = std::string(64, 'a');
  meta.config = "[model]\nname = small3d\n";
  meta.frame_landmarks = true;
  meta.frame_probs = true;
  return meta;
}

inline int frames_of(int batch, int clip) { return 50 + (batch * 7 + clip * 13) % 50; }

inline io::ResultsBatch make_batch(int b) {
  io::ResultsBatch batch;
  for (int c = 0; c < kClipsPerBatch; ++c) {
    io::ClipRow clip;
    clip.id = "b" + std::to_string(b) + "_c" + std::to_string(c);
    clip.source = "clips/" + clip.id + ".mp4";
    clip.subject = "sub" + std::to_string(b % 5);
    clip.status = c == 3 ? io::ClipStatus::DecodeError : io::ClipStatus::Ok;
    clip.error = c == 3 ? "clips/" + clip.id + ".mp4: cannot open: Invalid data" : "";
    clip.fps = 200;
    clip.n_frames = frames_of(b, c);
    clip.onset = 3;
    clip.apex = 10 + c;
    clip.offset = 30;
    clip.apex_source = static_cast<int8_t>(c % 2);
    clip.label = static_cast<int16_t>((b + c) % 7);
    clip.pred = static_cast<int16_t>((b + 2 * c) % 7);
    for (int k = 0; k < 7; ++k) clip.probs.push_back(static_cast<float>(k == clip.pred ? 0.4 : 0.1));
    for (int d = 0; d < 16; ++d) clip.apex_feature.push_back(static_cast<float>(b) + 0.01f * d + 0.1f * c);
    batch.clips.push_back(clip);
    for (int f = 0; f < clip.n_frames; ++f) {
      io::FrameRow frame;
      frame.clip = c;
      frame.index = f;
      frame.time = f / 200.0;
      frame.face_box = {1.0f * b, 2.0f * c, 128, 128};
      frame.face_confidence = 0.9f;
      frame.success = 1;
      frame.face_id = c + f / 10;  // the tracker's id changes when a face is re-found
      frame.motion = static_cast<float>(b * 1000 + c * 100 + f);
      frame.phase = f == clip.apex ? io::FramePhase::Apex : io::FramePhase::None;
      for (int l = 0; l < 136; ++l) frame.landmarks.push_back(static_cast<float>(l + f));
      frame.probs = clip.probs;
      batch.frames.push_back(frame);
    }
  }
  io::IntervalRow interval;
  interval.clip = 1;
  interval.onset = 3;
  interval.apex = 11;
  interval.offset = 30;
  interval.score = 0.5f + b;
  interval.pred = 2;
  interval.probs = std::vector<float>(7, 1.0f / 7);
  batch.intervals.push_back(interval);
  return batch;
}

/// Checks that the reader holds exactly batches [0, batches) as make_batch wrote them.
inline void expect_batches(const io::ResultsReader& reader, int batches) {
  ASSERT_EQ(reader.clip_count(), batches * kClipsPerBatch);
  ASSERT_EQ(reader.interval_count(), batches);
  const auto clips = reader.clips();
  const auto intervals = reader.intervals();
  int64_t frame_row = 0;
  for (int b = 0; b < batches; ++b) {
    const io::ResultsBatch expected = make_batch(b);
    for (int c = 0; c < kClipsPerBatch; ++c) {
      const io::ClipRow& got = clips[static_cast<size_t>(b * kClipsPerBatch + c)];
      const io::ClipRow& want = expected.clips[static_cast<size_t>(c)];
      ASSERT_EQ(got.id, want.id);
      ASSERT_EQ(got.source, want.source);
      ASSERT_EQ(got.subject, want.subject);
      ASSERT_EQ(got.status, want.status);
      ASSERT_EQ(got.error, want.error);
      ASSERT_EQ(got.n_frames, want.n_frames);
      ASSERT_EQ(got.apex, want.apex);
      ASSERT_EQ(got.label, want.label);
      ASSERT_EQ(got.pred, want.pred);
      ASSERT_EQ(got.probs, want.probs);
      ASSERT_EQ(got.apex_feature, want.apex_feature);
      ASSERT_EQ(got.frame_start, frame_row) << got.id;
      ASSERT_EQ(got.frame_count, want.n_frames) << got.id;
      const auto frames = reader.frames(got.frame_start, got.frame_count);
      for (int f = 0; f < got.frame_count; ++f) {
        const io::FrameRow& fr = frames[static_cast<size_t>(f)];
        ASSERT_EQ(fr.clip, b * kClipsPerBatch + c);
        ASSERT_EQ(fr.index, f);
        ASSERT_EQ(fr.face_id, c + f / 10);
        ASSERT_EQ(fr.motion, static_cast<float>(b * 1000 + c * 100 + f));
        ASSERT_EQ(fr.landmarks.size(), 136u);
        ASSERT_EQ(fr.landmarks[5], static_cast<float>(5 + f));
        ASSERT_EQ(fr.probs, want.probs);
      }
      frame_row += got.frame_count;
    }
    const io::IntervalRow& interval = intervals[static_cast<size_t>(b)];
    ASSERT_EQ(interval.clip, b * kClipsPerBatch + 1);
    ASSERT_EQ(interval.score, 0.5f + b);
  }
  ASSERT_EQ(reader.frame_count(), frame_row);
}

}  // namespace mexa::test
