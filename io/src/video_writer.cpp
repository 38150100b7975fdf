#include "mexa/io/video_writer.h"

#include <filesystem>

extern "C" {
#include <libavutil/opt.h>
}

#include "ffmpeg_handles.h"
#include "ffmpeg_log.h"
#include "mexa/io/errors.h"

namespace mexa::io {

using namespace ffmpeg;

struct VideoWriter::Impl {
  std::string path;
  VideoWriterOptions options;
  OutputContext format;
  CodecContext encoder;
  AVStream* stream = nullptr;
  SwsPtr converter;
  FramePtr frame{av_frame_alloc()};
  PacketPtr packet{av_packet_alloc()};
  int64_t written = 0;
  bool io_open = false;
  bool finished = false;

  void fail(const std::string& what, int code) { throw DecodeError(path, what + ": " + error_text(code)); }

  void open() {
    install_log_bridge();
    if (options.width <= 0 || options.height <= 0 || options.fps <= 0)
      throw DecodeError(path, "video writer needs a positive size and frame rate");
    if (!frame || !packet) throw DecodeError(path, "out of memory");
    const bool h264 = options.codec == VideoCodec::H264;
    AVFormatContext* raw = nullptr;
    int ret = avformat_alloc_output_context2(&raw, nullptr, h264 ? "mp4" : "matroska", path.c_str());
    if (ret < 0 || !raw) fail("cannot create the container", ret);
    format.reset(raw);
    format->flags |= AVFMT_FLAG_BITEXACT;  // no library version strings: same frames, same bytes

    const AVCodec* codec = h264 ? avcodec_find_encoder_by_name("libx264") : avcodec_find_encoder(AV_CODEC_ID_FFV1);
    if (!codec) throw DecodeError(path, h264 ? "FFmpeg has no libx264 encoder" : "FFmpeg has no FFV1 encoder");
    encoder.reset(avcodec_alloc_context3(codec));
    if (!encoder) throw DecodeError(path, "out of memory allocating the encoder");
    encoder->width = options.width;
    encoder->height = options.height;
    encoder->time_base = AVRational{1, options.fps};
    encoder->framerate = AVRational{options.fps, 1};
    encoder->pix_fmt = options.gray && !h264 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_YUV420P;
    encoder->thread_count = 1;  // multi-threaded encoders are not bit-reproducible
    encoder->flags |= AV_CODEC_FLAG_BITEXACT;
    if (format->oformat->flags & AVFMT_GLOBALHEADER) encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (h264) {
      av_opt_set(encoder->priv_data, "preset", "medium", 0);
      av_opt_set(encoder->priv_data, "crf", std::to_string(options.crf).c_str(), 0);
    } else {
      encoder->level = 3;
    }
    ret = avcodec_open2(encoder.get(), codec, nullptr);
    if (ret < 0) fail(std::string("cannot open encoder ") + codec->name, ret);

    stream = avformat_new_stream(format.get(), nullptr);
    if (!stream) throw DecodeError(path, "cannot add a video stream");
    stream->time_base = encoder->time_base;
    stream->avg_frame_rate = encoder->framerate;
    ret = avcodec_parameters_from_context(stream->codecpar, encoder.get());
    if (ret < 0) fail("bad encoder parameters", ret);

    ret = avio_open(&format->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (ret < 0) fail("cannot open for writing", ret);
    io_open = true;
    ret = avformat_write_header(format.get(), nullptr);
    if (ret < 0) fail("cannot write the container header", ret);

    frame->format = encoder->pix_fmt;
    frame->width = options.width;
    frame->height = options.height;
    ret = av_frame_get_buffer(frame.get(), 0);
    if (ret < 0) fail("out of memory for a frame", ret);
    const AVPixelFormat input = options.gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_BGR24;
    converter.reset(sws_getContext(options.width, options.height, input, options.width, options.height,
                                   encoder->pix_fmt, SWS_BILINEAR | SWS_ACCURATE_RND | SWS_BITEXACT, nullptr, nullptr,
                                   nullptr));
    if (!converter) throw DecodeError(path, "cannot set up the pixel format conversion");
  }

  /// Sends `input` (nullptr: end of stream) and writes every packet the encoder returns.
  void encode(AVFrame* input) {
    int ret = avcodec_send_frame(encoder.get(), input);
    if (ret < 0) fail("encoding failed", ret);
    while (true) {
      ret = avcodec_receive_packet(encoder.get(), packet.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      if (ret < 0) fail("encoding failed", ret);
      PacketUnrefGuard unref(packet.get());
      av_packet_rescale_ts(packet.get(), encoder->time_base, stream->time_base);
      packet->stream_index = stream->index;
      ret = av_interleaved_write_frame(format.get(), packet.get());
      if (ret < 0) fail("cannot write a packet", ret);
    }
  }

  void write(const uint8_t* pixels, size_t stride) {
    if (finished) throw DecodeError(path, "write after finish");
    int ret = av_frame_make_writable(frame.get());
    if (ret < 0) fail("frame buffer not writable", ret);
    const uint8_t* source[4] = {pixels, nullptr, nullptr, nullptr};
    const int source_stride[4] = {static_cast<int>(stride), 0, 0, 0};
    sws_scale(converter.get(), source, source_stride, 0, options.height, frame->data, frame->linesize);
    frame->pts = written++;
    encode(frame.get());
  }

  void finish() {
    if (finished) return;
    encode(nullptr);
    const int ret = av_write_trailer(format.get());
    if (ret < 0) fail("cannot write the container trailer", ret);
    avio_closep(&format->pb);
    io_open = false;
    finished = true;
  }

  ~Impl() {
    if (io_open) avio_closep(&format->pb);
    if (!finished) {
      std::error_code ec;
      std::filesystem::remove(path, ec);  // a file without trailer is not a video
    }
  }
};

VideoWriter::VideoWriter(const std::string& path, VideoWriterOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->options = options;
  impl_->open();
}
VideoWriter::~VideoWriter() = default;
VideoWriter::VideoWriter(VideoWriter&&) noexcept = default;
VideoWriter& VideoWriter::operator=(VideoWriter&&) noexcept = default;

void VideoWriter::write(const uint8_t* pixels, size_t stride) { impl_->write(pixels, stride); }
void VideoWriter::finish() { impl_->finish(); }
int64_t VideoWriter::frames_written() const { return impl_->written; }

std::string container_extension(VideoCodec codec) { return codec == VideoCodec::H264 ? ".mp4" : ".mkv"; }

}  // namespace mexa::io
