#include "mexa/io/video_reader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

extern "C" {
#include <libavutil/display.h>
#include <libavutil/imgutils.h>
#include <libavutil/md5.h>
#include <libavutil/pixdesc.h>
}

#include "ffmpeg_handles.h"
#include "ffmpeg_log.h"
#include "memory_io.h"
#include "rotation.h"
#include "mexa/io/errors.h"
#include "mexa/io/frame_folder.h"

namespace mexa::io {

namespace fs = std::filesystem;
using namespace ffmpeg;

namespace {

constexpr int64_t kNoTimestamp = AV_NOPTS_VALUE;
// Damaged packets tolerated before a file counts as undecodable.
constexpr int kMaxConsecutiveDecodeErrors = 1000;

Rational to_rational(AVRational r) { return {r.num, r.den}; }

AVPixelFormat to_av(PixelFormat format) {
  switch (format) {
    case PixelFormat::Gray8: return AV_PIX_FMT_GRAY8;
    case PixelFormat::Rgb24: return AV_PIX_FMT_RGB24;
    case PixelFormat::Native: break;
  }
  return AV_PIX_FMT_NONE;
}

/// Explains, before FFmpeg tries, why a path cannot be a video: FFmpeg's own
/// messages for these cases ("No such file or directory") lack the detail.
void check_readable_file(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (!fs::exists(status)) throw DecodeError(path, "no such file or folder");
  if (!fs::is_regular_file(status)) throw DecodeError(path, "not a regular file or frame folder");
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw DecodeError(path, std::string("cannot open for reading: ") + std::strerror(errno));
  if (fs::file_size(path, ec) == 0) throw DecodeError(path, "file is empty");
}

}  // namespace

// ---------------------------------------------------------------- Frame

struct VideoReader::Impl {
  std::string path;
  VideoReaderOptions options;
  StreamInfo info;
  MemoryCursor memory;                          // a MemoryInput's bytes, when reading one
  std::unique_ptr<AVIOContext, AvioDeleter> io;  // closed after `format` (declared before it)
  InputContext format;
  CodecContext decoder;
  AVStream* stream = nullptr;
  PacketPtr packet{av_packet_alloc()};
  FramePtr decoded{av_frame_alloc()};
  SwsPtr scaler;
  std::vector<std::string> warnings;

  // Decode state.
  bool need_receive = false;  // the decoder may hold frames to receive
  bool draining = false;      // the end-of-stream packet was sent
  bool finished = false;
  int64_t next_index = 0;     // index of the next frame out of the decoder
  int64_t returned = 0;
  int consecutive_errors = 0;
  int total_errors = 0;
  int64_t start_pts = kNoTimestamp;
  bool reported_shortfall = false;
  int64_t folder_frames = -1;  // files in a frame folder's sequence

  // For ranges: presentation timestamps of all frames, sorted, from a packet scan.
  std::vector<int64_t> presentation_pts;
  bool index_by_pts = false;

  Impl(const std::string& p, VideoReaderOptions o) : path(p), options(o) {}

  void warn(const std::string& text) {
    spdlog::warn("{}: {}", path, text);
    warnings.push_back(text);
  }

  void open() {
    install_log_bridge();
    if (!packet || !decoded) throw DecodeError(path, "out of memory");
    if ((options.width > 0) != (options.height > 0))
      throw DecodeError(path, "output size needs both width and height");
    if (options.first_frame < 0) throw DecodeError(path, "first frame must not be negative");
    if (options.last_frame >= 0 && options.last_frame < options.first_frame)
      throw DecodeError(path, "last frame " + std::to_string(options.last_frame) + " is before first frame " +
                                  std::to_string(options.first_frame));

    const std::string url = open_input();
    const AVCodec* codec = open_stream();
    open_decoder(codec);
    fill_info(url, codec);
    if (options.first_frame > 0) prepare_seek();
  }

  /// The demuxer on a MemoryInput's bytes, a frame folder (image2) or a file; the URL it read.
  std::string open_input() {
    std::error_code ec;
    AVDictionary* raw_options = nullptr;
    const AVInputFormat* input_format = nullptr;
    std::string url = path;
    if (memory.data) {
      if (memory.size == 0) throw DecodeError(path, "no bytes to decode");
      constexpr int kBufferSize = 64 * 1024;
      auto* buffer = static_cast<uint8_t*>(av_malloc(kBufferSize));
      if (!buffer) throw DecodeError(path, "out of memory");
      io.reset(avio_alloc_context(buffer, kBufferSize, 0, &memory, read_memory, nullptr, seek_memory));
      if (!io) {
        av_free(buffer);
        throw DecodeError(path, "out of memory");
      }
      url.clear();
    } else if (fs::is_directory(path, ec)) {
      const FrameSequence seq = find_frame_sequence(path);
      url = seq.pattern;
      folder_frames = seq.count;
      info.frame_folder = true;
      input_format = av_find_input_format("image2");
      av_dict_set(&raw_options, "start_number", std::to_string(seq.start_number).c_str(), 0);
      av_dict_set(&raw_options, "pattern_type", "sequence", 0);
      if (options.frame_folder_fps > 0)
        av_dict_set(&raw_options, "framerate", std::to_string(options.frame_folder_fps).c_str(), 0);
    } else {
      check_readable_file(path);
    }
    std::unique_ptr<AVDictionary, DictionaryDeleter> format_options(raw_options);

    AVFormatContext* raw_format = nullptr;
    if (io) {
      raw_format = avformat_alloc_context();
      if (!raw_format) throw DecodeError(path, "out of memory");
      raw_format->pb = io.get();
      raw_format->flags |= AVFMT_FLAG_CUSTOM_IO;
    }
    AVDictionary* opts = format_options.release();
    int ret = avformat_open_input(&raw_format, io ? nullptr : url.c_str(), input_format, &opts);  // frees raw_format on failure
    format_options.reset(opts);
    if (ret == AVERROR_EOF) throw DecodeError(path, "cannot open: the file ends inside its header (cut short, or no frames)");
    if (ret < 0) throw DecodeError(path, "cannot open: " + error_text(ret));
    format.reset(raw_format);
    return url;

  }

  /// The best video stream (the others discarded); its decoder.
  const AVCodec* open_stream() {
    int ret = avformat_find_stream_info(format.get(), nullptr);
    if (ret < 0) throw DecodeError(path, "cannot read stream information: " + error_text(ret));

    const AVCodec* codec = nullptr;
    ret = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (ret == AVERROR_STREAM_NOT_FOUND) throw DecodeError(path, "no video stream (audio-only or data file)");
    if (ret == AVERROR_DECODER_NOT_FOUND) throw DecodeError(path, "no decoder for the video stream's codec");
    if (ret < 0) throw DecodeError(path, "cannot select a video stream: " + error_text(ret));
    stream = format->streams[ret];
    for (unsigned i = 0; i < format->nb_streams; ++i)
      if (format->streams[i] != stream) format->streams[i]->discard = AVDISCARD_ALL;
    check_frame_size(stream->codecpar->width, stream->codecpar->height, "the stream declares");

    return codec;
  }

  void open_decoder(const AVCodec* codec) {
    decoder.reset(avcodec_alloc_context3(codec));
    if (!decoder) throw DecodeError(path, "out of memory allocating the decoder");
    int ret = avcodec_parameters_to_context(decoder.get(), stream->codecpar);
    if (ret < 0) throw DecodeError(path, "bad codec parameters: " + error_text(ret));
    // Small frames (cropped ME clips) decode fastest on one thread: frame
    // threading costs more than it saves below about 320x240 (bench/).
    const bool small = stream->codecpar->width * stream->codecpar->height <= 320 * 240;
    decoder->thread_count = options.threads > 0 ? options.threads : small ? 1 : 0;
    decoder->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    decoder->pkt_timebase = stream->time_base;
    if (options.max_pixels > 0) decoder->max_pixels = options.max_pixels;  // frames that grow mid-stream, too
    ret = avcodec_open2(decoder.get(), codec, nullptr);
    if (ret < 0) throw DecodeError(path, "cannot open decoder " + std::string(codec->name) + ": " + error_text(ret));

  }

  /// Refuses frames outside [min_side, max_pixels] (declared or decoded).
  void check_frame_size(int width, int height, const char* whose) const {
    if (width <= 0 || height <= 0) return;  // not known yet: the decoded frames are checked
    const std::string size = std::to_string(width) + "x" + std::to_string(height);
    if (options.max_pixels > 0 && static_cast<int64_t>(width) * height > options.max_pixels)
      throw DecodeError(path, std::string(whose) + " " + size + " frames, over the limit of " +
                                  std::to_string(options.max_pixels) + " pixels (a damaged or hostile header?)");
    if (width < options.min_side || height < options.min_side)
      throw DecodeError(path, std::string(whose) + " " + size + " frames: too small to hold a face (at least " +
                                  std::to_string(options.min_side) + "x" + std::to_string(options.min_side) + ")");
  }

  void fill_info(const std::string& url, const AVCodec* codec) {
    info.source = path;
    info.ffmpeg_url = url;
    info.container = format->iformat->name;
    info.codec = codec->name;
    info.width = stream->codecpar->width;
    info.height = stream->codecpar->height;
    const char* pix = av_get_pix_fmt_name(static_cast<AVPixelFormat>(stream->codecpar->format));
    info.pixel_format = pix ? pix : "unknown";
    info.avg_frame_rate = to_rational(stream->avg_frame_rate);
    info.real_frame_rate = to_rational(stream->r_frame_rate);
    info.time_base = to_rational(stream->time_base);
    if (stream->duration != kNoTimestamp && stream->duration > 0)
      info.duration_s = static_cast<double>(stream->duration) * av_q2d(stream->time_base);
    else if (format->duration != kNoTimestamp && format->duration > 0)
      info.duration_s = static_cast<double>(format->duration) / AV_TIME_BASE;
    info.declared_frames = stream->nb_frames > 0 ? stream->nb_frames : -1;
    info.stream_index = stream->index;
    if (folder_frames > 0) info.declared_frames = folder_frames;
    info.rotation = display_rotation(stream);
    info.rotated = options.autorotate && info.rotation != 0 && options.pixel_format != PixelFormat::Native;
    if (info.rotation != 0 && !info.rotated)
      warn("the display matrix turns frames by " + std::to_string(info.rotation) + " degrees; they are returned as stored");
    if (stream->start_time != kNoTimestamp) start_pts = stream->start_time;
  }

  /// Demuxes every packet once (no decoding) to learn the presentation
  /// timestamps of all frames, then seeks to the key frame before first_frame.
  void prepare_seek() {
    struct KeyPacket {
      int64_t pts;
      int64_t seek_ts;
    };
    std::vector<KeyPacket> keys;
    bool timestamps_complete = true;
    while (true) {
      const int ret = av_read_frame(format.get(), packet.get());
      if (ret < 0) break;  // end of file or damage: the scan only guides the seek
      PacketUnrefGuard unref(packet.get());
      if (packet->stream_index != stream->index) continue;
      if (packet->pts == kNoTimestamp) timestamps_complete = false;
      const int64_t pts = packet->pts != kNoTimestamp ? packet->pts : packet->dts;
      presentation_pts.push_back(pts);
      if (packet->flags & AV_PKT_FLAG_KEY) keys.push_back({pts, packet->dts != kNoTimestamp ? packet->dts : pts});
    }
    std::sort(presentation_pts.begin(), presentation_pts.end());
    const bool unique = std::adjacent_find(presentation_pts.begin(), presentation_pts.end()) == presentation_pts.end();
    index_by_pts = timestamps_complete && unique && !keys.empty() && !presentation_pts.empty();

    int64_t seek_ts = std::numeric_limits<int64_t>::min();
    if (index_by_pts && options.first_frame < static_cast<int64_t>(presentation_pts.size())) {
      const int64_t target = presentation_pts[static_cast<size_t>(options.first_frame)];
      for (const KeyPacket& key : keys)
        if (key.pts <= target) seek_ts = std::max(seek_ts, key.seek_ts);
    }
    rewind(seek_ts);
  }

  /// Seeks to the key frame at or before `timestamp` (or to the start) and resets the decoder.
  void rewind(int64_t timestamp) {
    int ret = -1;
    if (timestamp != std::numeric_limits<int64_t>::min())
      ret = av_seek_frame(format.get(), stream->index, timestamp, AVSEEK_FLAG_BACKWARD);
    if (ret < 0) {
      ret = avformat_seek_file(format.get(), -1, std::numeric_limits<int64_t>::min(), 0, 0, 0);
      if (ret < 0) ret = av_seek_frame(format.get(), -1, 0, AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_BYTE);
      if (ret < 0) throw DecodeError(path, "cannot seek back to the start: " + error_text(ret));
      index_by_pts = false;  // counting from the first frame is exact by construction
    }
    avcodec_flush_buffers(decoder.get());
    need_receive = draining = finished = false;
    next_index = 0;
  }

  /// Frame index of a decoded frame: its position in presentation order.
  /// Returns -1 when a seek landed after the wanted frame (the caller then
  /// decodes from the start instead).
  int64_t index_of(const AVFrame* frame) {
    if (!index_by_pts) return next_index++;
    const int64_t pts = frame->best_effort_timestamp;
    const auto it = std::lower_bound(presentation_pts.begin(), presentation_pts.end(), pts);
    if (it == presentation_pts.end() || *it != pts) return -1;
    next_index = (it - presentation_pts.begin()) + 1;
    return next_index - 1;
  }

  /// Pulls the next decoded frame into `decoded`. False at the end of the stream.
  bool decode_one() {
    while (true) {
      if (need_receive) {
        const int ret = avcodec_receive_frame(decoder.get(), decoded.get());
        if (ret == 0) {
          consecutive_errors = 0;
          return true;
        }
        if (ret == AVERROR_EOF) return false;
        if (ret == AVERROR(EAGAIN)) {
          need_receive = false;
          if (draining) return false;
        } else {
          note_decode_error("decoding failed", ret);
          if (draining) return false;
        }
      }
      const int ret = av_read_frame(format.get(), packet.get());
      if (ret < 0) {
        if (ret != AVERROR_EOF) warn("reading stopped early (" + error_text(ret) + "): frames after this point are lost");
        draining = true;
        need_receive = true;
        const int sent = avcodec_send_packet(decoder.get(), nullptr);
        if (sent < 0 && sent != AVERROR_EOF) note_decode_error("draining the decoder failed", sent);
        continue;
      }
      PacketUnrefGuard unref(packet.get());
      if (packet->stream_index != stream->index) continue;  // other streams are not ours
      const int sent = avcodec_send_packet(decoder.get(), packet.get());
      if (sent < 0) {
        note_decode_error("damaged packet at pts " + std::to_string(packet->pts), sent);
        need_receive = true;
        continue;
      }
      need_receive = true;
    }
  }

  void note_decode_error(const std::string& what, int code) {
    ++total_errors;
    if (total_errors <= 5) warn(what + ": " + error_text(code));
    else if (total_errors == 6) warn("more decoding errors follow; only the count is reported");
    if (++consecutive_errors > kMaxConsecutiveDecodeErrors)
      throw DecodeError(path, "gave up after " + std::to_string(consecutive_errors) +
                                  " consecutive decoding errors: " + error_text(code));
  }

  /// Converts (when asked) the decoded frame into the caller's Frame.
  void deliver(int64_t index, Frame& out) {
    out.index_ = index;
    out.pts_ = decoded->best_effort_timestamp;
    out.dts_ = decoded->pkt_dts;
    out.duration_ = decoded->pkt_duration;
    if (start_pts == kNoTimestamp && out.pts_ != kNoTimestamp) start_pts = out.pts_;
    if (out.pts_ != kNoTimestamp)
      out.time_s_ = static_cast<double>(out.pts_ - start_pts) * av_q2d(stream->time_base);
    else
      out.time_s_ = info.avg_frame_rate.num > 0 ? static_cast<double>(index) / info.avg_frame_rate.value() : 0.0;

    check_frame_size(decoded->width, decoded->height, "a decoded frame has");
    // The size asked for is the displayed one: before a quarter turn it is transposed.
    const bool transpose = info.rotated && info.rotation != 180;
    const int wanted_width = transpose ? options.height : options.width;
    const int wanted_height = transpose ? options.width : options.height;
    const bool resize = options.width > 0 && (wanted_width != decoded->width || wanted_height != decoded->height);
    const AVPixelFormat wanted = options.pixel_format == PixelFormat::Native
                                     ? static_cast<AVPixelFormat>(decoded->format)
                                     : to_av(options.pixel_format);
    if (!resize && wanted == decoded->format) {
      if (info.rotated) {
        out.frame_.reset(rotated(decoded.get(), info.rotation).release());
        av_frame_unref(decoded.get());
        return;
      }
      if (!out.frame_) out.frame_.reset(av_frame_alloc());
      av_frame_unref(out.frame_.get());
      av_frame_move_ref(out.frame_.get(), decoded.get());
      return;
    }
    const int width = resize ? wanted_width : decoded->width;
    const int height = resize ? wanted_height : decoded->height;
    scaler.reset(sws_getCachedContext(scaler.release(), decoded->width, decoded->height,
                                      static_cast<AVPixelFormat>(decoded->format), width, height, wanted,
                                      SWS_BILINEAR, nullptr, nullptr, nullptr));
    if (!scaler) throw DecodeError(path, "cannot convert frames to the requested format or size");
    FramePtr converted(av_frame_alloc());
    converted->format = wanted;
    converted->width = width;
    converted->height = height;
    int ret = av_frame_get_buffer(converted.get(), 0);
    if (ret < 0) throw DecodeError(path, "out of memory converting a frame: " + error_text(ret));
    ret = sws_scale(scaler.get(), decoded->data, decoded->linesize, 0, decoded->height, converted->data,
                    converted->linesize);
    if (ret < 0) throw DecodeError(path, "frame conversion failed: " + error_text(ret));
    av_frame_copy_props(converted.get(), decoded.get());
    av_frame_unref(decoded.get());
    if (info.rotated) converted = rotated(converted.get(), info.rotation);
    out.frame_.reset(converted.release());
  }

  bool next(Frame& out) {
    while (!finished) {
      if (!decode_one()) {
        finished = true;
        break;
      }
      const int64_t index = index_of(decoded.get());
      if (index < 0 || (returned == 0 && index > options.first_frame)) {
        // The seek landed after the first wanted frame: decode from the start.
        av_frame_unref(decoded.get());
        rewind(std::numeric_limits<int64_t>::min());
        continue;
      }
      if (index < options.first_frame) {
        av_frame_unref(decoded.get());
        continue;
      }
      if (options.last_frame >= 0 && index > options.last_frame) {
        av_frame_unref(decoded.get());
        finished = true;
        break;
      }
      deliver(index, out);
      ++returned;
      return true;
    }
    if (returned == 0 && total_errors > 0)
      throw DecodeError(path, "no frame could be decoded (" + std::to_string(total_errors) + " errors)");
    if (!reported_shortfall && options.last_frame < 0 && info.declared_frames > 0 &&
        options.first_frame + returned < info.declared_frames) {
      reported_shortfall = true;
      const int64_t decoded_count = options.first_frame + returned;
      if (folder_frames > 0 && total_errors == 0)  // reading stopped at a file: name it
        warn("the folder holds " + std::to_string(folder_frames) + " frame files but only " +
             std::to_string(decoded_count) + " decoded: frame file " + std::to_string(decoded_count + 1) +
             " of the sequence is empty or damaged, and the frames after it are lost");
      else if (folder_frames > 0)
        warn("the folder holds " + std::to_string(folder_frames) + " frame files but only " +
             std::to_string(decoded_count) + " decoded (" + std::to_string(total_errors) + " damaged)");
      else
        warn("the container declares " + std::to_string(info.declared_frames) + " frames but only " +
             std::to_string(decoded_count) + " decoded (file truncated or damaged)");
    }
    return false;
  }
};

namespace {
std::atomic<int64_t> g_readers_opened{0};
}  // namespace

VideoReader::VideoReader(const std::string& path, VideoReaderOptions options)
    : impl_(std::make_unique<Impl>(path, options)) {
  ++g_readers_opened;
  impl_->open();
}

VideoReader::VideoReader(const MemoryInput& input, VideoReaderOptions options)
    : impl_(std::make_unique<Impl>(input.name, options)) {
  ++g_readers_opened;
  impl_->memory = {input.data, input.size, 0};
  if (!input.data) throw DecodeError(input.name, "no bytes to decode");
  impl_->open();
}

int64_t VideoReader::opened_total() { return g_readers_opened; }
VideoReader::~VideoReader() = default;
VideoReader::VideoReader(VideoReader&&) noexcept = default;
VideoReader& VideoReader::operator=(VideoReader&&) noexcept = default;

const StreamInfo& VideoReader::info() const { return impl_->info; }
bool VideoReader::next(Frame& frame) { return impl_->next(frame); }
int64_t VideoReader::frames_returned() const { return impl_->returned; }
const std::vector<std::string>& VideoReader::warnings() const { return impl_->warnings; }

}  // namespace mexa::io
