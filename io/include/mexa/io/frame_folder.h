// Frame folders (CASME II `reg_img46.jpg`, DFME `img%d.jpg`, `%05d.png`): finds
// the numbered image sequence in a folder so FFmpeg's image2 demuxer can read it.
// Stateless, thread-safe.
//
//   auto seq = mexa::io::find_frame_sequence("sub01/EP02_01f");
//   // seq.pattern == "sub01/EP02_01f/reg_img%d.jpg", seq.start_number == 46
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mexa::io {

struct FrameSequence {
  std::string pattern;       ///< folder/prefix%d.ext or folder/prefix%0Nd.ext ('%' in folder escaped)
  std::string first_file;    ///< path of the first frame file
  int64_t start_number = 0;  ///< number in the first file's name
  int64_t count = 0;         ///< files in the sequence (no gaps)
  std::string name_prefix;   ///< folder/prefix of every file, as on disk (not escaped)
  std::string name_suffix;   ///< ".jpg"
  size_t width = 0;          ///< digits of a zero-padded number; 0: not padded
};

/// The path of frame `index` (0-based: file number start_number + index).
std::string frame_file(const FrameSequence& seq, int64_t index);

/// Scans `folder` for the numbered image sequence. Throws DecodeError naming the
/// folder when there is none, when numbering is ambiguous, or when a number is
/// missing between the first and the last frame (a gap).
FrameSequence find_frame_sequence(const std::filesystem::path& folder);

/// The sequence among `file_names` (names of regular files in `folder`),
/// as find_frame_sequence decides it without touching the disk.
FrameSequence frame_sequence_of(const std::filesystem::path& folder, const std::vector<std::string>& file_names);

/// True for file extensions that FFmpeg's image2 demuxer reads as frames.
bool is_image_extension(const std::string& extension);

}  // namespace mexa::io
