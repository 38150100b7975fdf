#include "mexa/temporal/face_tracker.h"

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "mexa/enum_names.h"

#include "mexa/io/errors.h"
#include "mexa/temporal/alignment.h"

namespace mexa::temporal {
namespace {

cv::Mat to_gray(const cv::Mat& image) {
  if (image.channels() == 1) return image;
  cv::Mat gray;
  cv::cvtColor(image, gray, image.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  return gray;
}

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

cv::Point2f mean_of(const std::vector<cv::Point2f>& pts, int first, int last) {
  cv::Point2f sum(0, 0);
  for (int i = first; i <= last; ++i) sum += pts[static_cast<size_t>(i)];
  return sum * (1.0f / static_cast<float>(last - first + 1));
}

/// `env`: the variable that points at another copy of the file.
void require_file(const std::string& path, const std::string& what, const char* env) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw DataError(path, what + " not found (install it, or set " + env + " to another copy)");
}

}  // namespace

static const EnumNames<FaceDetector>& detector_names() {
  static const EnumNames<FaceDetector> names(
      "face detector", {{FaceDetector::Haar, "haar"}, {FaceDetector::DlibHog, "hog"}, {FaceDetector::None, "none"}});
  return names;
}

FaceDetector parse_face_detector(const std::string& name) { return detector_names().parse(name); }

std::vector<cv::Point2f> canonical_points(cv::Size s) {
  const float w = static_cast<float>(s.width), h = static_cast<float>(s.height);
  return {{0.35f * w, 0.40f * h}, {0.65f * w, 0.40f * h}, {0.5f * w, 0.75f * h}};
}

struct Track {
  int id = 0;
  cv::Rect2f box;
  float confidence = 0;
  int missed = 0;
};

struct FaceTracker::Impl {
  FaceTrackerOptions options;
  cv::CascadeClassifier cascade;
  dlib::frontal_face_detector hog;
  dlib::shape_predictor predictor;
  bool has_predictor = false;
  std::vector<Track> tracks;
  int next_id = 0;
  int64_t frame_index = 0;

  /// Faces in the frame, largest first. A face that fills the frame (a
  /// dataset's tight crop) leaves the detectors no margin: when the frame as
  /// it is gives none, it is searched again inside a replicated border of a
  /// quarter of its size on each side, and the boxes are mapped back.
  std::vector<std::pair<cv::Rect2f, float>> find_boxes(const cv::Mat& gray) {
    if (options.detector == FaceDetector::None)
      return {{cv::Rect2f(0, 0, static_cast<float>(gray.cols), static_cast<float>(gray.rows)), 1.0f}};
    auto found = detect_in(gray);
    if (found.empty() && options.pad) {
      const int px = std::max(1, gray.cols / 4), py = std::max(1, gray.rows / 4);
      cv::Mat padded;
      cv::copyMakeBorder(gray, padded, py, py, px, px, cv::BORDER_REPLICATE);
      found = detect_in(padded);
      for (auto& [box, confidence] : found) {
        box.x -= static_cast<float>(px);
        box.y -= static_cast<float>(py);
      }
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first.area() > b.first.area(); });
    return found;
  }

  /// dlib's HOG window is 80 px: a smaller --min-face upsamples the image.
  static constexpr int kHogWindow = 80;

  std::vector<std::pair<cv::Rect2f, float>> detect_in(const cv::Mat& gray) {
    std::vector<std::pair<cv::Rect2f, float>> found;
    if (options.detector == FaceDetector::Haar) {
      const int min_face = options.min_face > 0 ? options.min_face : 40;
      std::vector<cv::Rect> boxes;
      std::vector<int> neighbours;
      cv::Mat equalized;
      cv::equalizeHist(gray, equalized);
      cascade.detectMultiScale(equalized, boxes, neighbours, 1.1, /*minNeighbors=*/3, 0, cv::Size(min_face, min_face));
      for (size_t i = 0; i < boxes.size(); ++i) {
        // More overlapping raw detections, more confidence: 3 -> 0.45, 10 -> 0.86.
        const float confidence = 1.0f - std::exp(-0.2f * static_cast<float>(i < neighbours.size() ? neighbours[i] : 0));
        found.push_back({cv::Rect2f(boxes[i]), confidence});
      }
      return found;
    }
    const int min_face = options.min_face > 0 ? std::max(options.min_face, kMinFaceLimit) : 0;
    const double scale =
        min_face > 0 && min_face < kHogWindow ? std::ceil(static_cast<double>(kHogWindow) / min_face) : 1.0;
    cv::Mat image = gray;
    if (scale > 1) cv::resize(gray, image, cv::Size(), scale, scale, cv::INTER_LINEAR);
    dlib::cv_image<unsigned char> view(image);
    std::vector<dlib::rect_detection> detections;
    hog(view, detections, /*adjust_threshold=*/0.0);
    const auto s = static_cast<float>(scale);
    for (const auto& d : detections) {
      const cv::Rect2f box(static_cast<float>(d.rect.left()) / s, static_cast<float>(d.rect.top()) / s,
                           static_cast<float>(d.rect.width()) / s, static_cast<float>(d.rect.height()) / s);
      if (box.width >= options.min_face)
        found.push_back({box, static_cast<float>(1.0 / (1.0 + std::exp(-d.detection_confidence)))});
    }
    return found;
  }

  std::vector<cv::Point2f> fit_landmarks(const cv::Mat& gray, const cv::Rect2f& box) {
    if (!has_predictor) return {};
    dlib::cv_image<unsigned char> view(gray);
    const dlib::rectangle rect(static_cast<long>(box.x), static_cast<long>(box.y), static_cast<long>(box.x + box.width),
                               static_cast<long>(box.y + box.height));
    const dlib::full_object_detection shape = predictor(view, rect);
    std::vector<cv::Point2f> points;
    for (unsigned long i = 0; i < shape.num_parts(); ++i)
      points.emplace_back(static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y()));
    return points;
  }

  FaceObservation observe(const cv::Mat& gray, const cv::Rect2f& box, float confidence, int id) {
    FaceObservation face;
    face.face_id = id;
    face.box = box;
    face.confidence = confidence;
    face.success = true;
    if (options.landmarks && options.detector != FaceDetector::None) face.landmarks = fit_landmarks(gray, box);
    return face;
  }
};

FaceTracker::FaceTracker(FaceTrackerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const auto& o = impl_->options;
  if (o.detector == FaceDetector::Haar) {
    require_file(o.cascade, "Haar cascade", "MEXA_HAAR_CASCADE");
    if (!impl_->cascade.load(o.cascade)) throw DataError(o.cascade, "cannot load the Haar cascade");
  } else if (o.detector == FaceDetector::DlibHog) {
    impl_->hog = dlib::get_frontal_face_detector();
  }
  if (o.landmarks && o.detector != FaceDetector::None) {
    require_file(o.landmark_model, "dlib 68-landmark model", "MEXA_LANDMARK_MODEL");
    try {
      dlib::deserialize(o.landmark_model) >> impl_->predictor;
    } catch (const std::exception& e) {
      throw DataError(o.landmark_model, std::string("cannot load the landmark model: ") + e.what());
    }
    impl_->has_predictor = true;
  }
}

FaceTracker::~FaceTracker() = default;
FaceTracker::FaceTracker(FaceTracker&&) noexcept = default;
FaceTracker& FaceTracker::operator=(FaceTracker&&) noexcept = default;

const FaceTrackerOptions& FaceTracker::options() const { return impl_->options; }

void FaceTracker::reset() {
  impl_->tracks.clear();
  impl_->next_id = 0;
  impl_->frame_index = 0;
}

std::string face_detector_name(FaceDetector detector) { return detector_names().name(detector); }

std::string default_cascade_path() {
  const char* env = std::getenv("MEXA_HAAR_CASCADE");
  return env && *env ? env : "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
}

std::string default_landmark_model_path() {
  const char* env = std::getenv("MEXA_LANDMARK_MODEL");
  return env && *env ? env : "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
}

std::vector<FaceObservation> FaceTracker::detect(const cv::Mat& image) {
  const cv::Mat gray = to_gray(image);
  std::vector<FaceObservation> faces;
  int id = 0;
  for (const auto& [box, confidence] : impl_->find_boxes(gray)) {
    faces.push_back(impl_->observe(gray, box, confidence, id++));
    if (!impl_->options.all_faces) break;
  }
  return faces;
}

cv::Mat FaceTracker::unit_alignment(const FaceObservation& face) const {
  const std::vector<cv::Point2f> target = canonical_points(cv::Size(1, 1));
  std::vector<cv::Point2f> source;
  if (face.landmarks.size() == 68) {
    source = {mean_of(face.landmarks, 36, 41), mean_of(face.landmarks, 42, 47), mean_of(face.landmarks, 48, 67)};
  } else {
    const cv::Rect2f& b = face.box;
    if (impl_->options.detector == FaceDetector::None)  // the box is the crop
      return (cv::Mat_<double>(2, 3) << 1.0 / b.width, 0, -b.x / b.width, 0, 1.0 / b.height, -b.y / b.height);
    // From the box alone: where the canonical points sit in a typical detector box.
    source = {{b.x + 0.30f * b.width, b.y + 0.38f * b.height},
              {b.x + 0.70f * b.width, b.y + 0.38f * b.height},
              {b.x + 0.50f * b.width, b.y + 0.80f * b.height}};
  }
  return fit_similarity(source, target);
}

cv::Mat FaceTracker::alignment(const FaceObservation& face) const {
  FaceAlignment a;
  a.face = true;
  a.unit = unit_alignment(face);
  return a.to(impl_->options.crop_size);
}

cv::Mat FaceTracker::crop(const cv::Mat& image, const cv::Mat& transform) const {
  cv::Mat out;
  cv::warpAffine(image, out, transform, impl_->options.crop_size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

std::vector<FaceObservation> FaceTracker::track(const cv::Mat& image) {
  auto& d = *impl_;
  const cv::Mat gray = to_gray(image);
  const bool detect_now = d.tracks.empty() || d.options.redetect_every <= 1 ||
                          d.frame_index % d.options.redetect_every == 0;
  ++d.frame_index;
  if (detect_now) {
    auto boxes = d.find_boxes(gray);
    if (!d.options.all_faces && boxes.size() > 1) boxes.resize(1);
    std::vector<bool> used(boxes.size(), false);
    for (Track& t : d.tracks) {
      int best = -1;
      float best_iou = 0.3f;
      for (size_t i = 0; i < boxes.size(); ++i)
        if (!used[i] && iou(t.box, boxes[i].first) > best_iou) best = static_cast<int>(i), best_iou = iou(t.box, boxes[i].first);
      if (best >= 0) {
        used[static_cast<size_t>(best)] = true;
        t.box = boxes[static_cast<size_t>(best)].first;
        t.confidence = boxes[static_cast<size_t>(best)].second;
        t.missed = 0;
      } else {
        t.missed += std::max(1, d.options.redetect_every);
      }
    }
    d.tracks.erase(std::remove_if(d.tracks.begin(), d.tracks.end(),
                                  [&](const Track& t) { return t.missed > d.options.max_missed; }),
                   d.tracks.end());
    for (size_t i = 0; i < boxes.size(); ++i) {
      if (used[i]) continue;
      if (d.options.all_faces || d.tracks.empty()) {
        d.tracks.push_back({d.next_id++, boxes[i].first, boxes[i].second, 0});
      } else {
        // One face followed: the largest face is that face, even after a jump.
        d.tracks.front() = {d.tracks.front().id, boxes[i].first, boxes[i].second, 0};
      }
    }
  }
  std::vector<FaceObservation> faces;
  for (Track& t : d.tracks) {
    if (t.missed > 0) {
      FaceObservation lost;
      lost.face_id = t.id;
      lost.box = t.box;
      faces.push_back(lost);
      continue;
    }
    FaceObservation face = d.observe(gray, t.box, t.confidence, t.id);
    // Landmarks far outside the box: the box drifted; detect again next frame.
    if (face.landmarks.size() == 68) {
      const cv::Rect2f fit = cv::boundingRect(face.landmarks);
      if (iou(fit, t.box) < 0.3f) d.frame_index = 0;
    }
    faces.push_back(face);
  }
  if (faces.empty()) faces.push_back(FaceObservation{});  // nobody: success = false
  return faces;
}

}  // namespace mexa::temporal
