// temporal::FaceTracker: finds faces (OpenCV Haar cascade or dlib's HOG
// detector), fits dlib's 68 landmarks (iBUG order), and gives the similarity
// transform that maps a face to a canonical crop (eyes at (0.35, 0.40) and
// (0.65, 0.40), mouth centre at (0.5, 0.75) of the crop). Micro-expression
// practice: align once on the onset frame and cut every frame of the clip
// with that one transform — re-cropping per frame jitters more than the
// expression moves. For long videos, track() follows faces frame by frame,
// re-detecting every few frames or when the landmarks drift off the box.
//
// Not thread-safe (the dlib models hold scratch state): one tracker per thread.
//
//   mexa::temporal::FaceTracker tracker({});
//   auto faces = tracker.detect(onset_bgr);             // largest first
//   if (!faces.empty()) {
//     cv::Mat transform = tracker.alignment(faces[0]);
//     cv::Mat crop = tracker.crop(frame_bgr, transform); // 128x128
//   }
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace mexa::temporal {

enum class FaceDetector {
  Haar,     ///< OpenCV cascade (opencv-data's haarcascade_frontalface_default.xml)
  DlibHog,  ///< dlib's HOG + linear SVM frontal detector
  None,     ///< pre-cropped faces: the whole frame is the face
};

/// Parses "haar", "hog" or "none"; throws std::invalid_argument.
FaceDetector parse_face_detector(const std::string& name);
/// "haar", "hog" or "none".
std::string face_detector_name(FaceDetector detector);

/// Where the model files are: $MEXA_HAAR_CASCADE / $MEXA_LANDMARK_MODEL when
/// set, else Debian's opencv-data and libdlib-data paths.
std::string default_cascade_path();
std::string default_landmark_model_path();

/// The smallest --min-face (other than 0): HOG upsamples by at most
/// ceil(80 / 20) = 4, so a frame never grows past 16 times its pixels.
constexpr int kMinFaceLimit = 20;

struct FaceTrackerOptions {
  /// dlib HOG by default: on Megamind.avi it finds the face in 98.5 % of frames
  /// at ~40 ms per 720x528 frame; the Haar cascade finds 93 % with more false boxes.
  FaceDetector detector = FaceDetector::DlibHog;
  std::string cascade = default_cascade_path();
  std::string landmark_model = default_landmark_model_path();
  bool landmarks = true;                ///< fit 68 landmarks (needs the dlib model file)
  cv::Size crop_size{128, 128};
  /// Smallest face side in pixels; 0: the detector's own (hog: its 80 px
  /// window; haar: 40). For hog a value under 80 upsamples the image by
  /// ceil(80 / min_face) (slower, finds smaller faces).
  int min_face = 0;
  /// When the frame as it is gives no face, search again inside a replicated
  /// border of a quarter of its size on each side (a tight crop, which leaves
  /// the detectors no margin), the boxes mapped back.
  bool pad = true;
  bool all_faces = false;               ///< track every face (else the largest only)
  int redetect_every = 10;              ///< track(): run the detector every N frames
  int max_missed = 15;                  ///< track(): frames a face may go undetected before it is dropped
};

struct FaceObservation {
  int face_id = 0;
  cv::Rect2f box;                        ///< pixels in the frame
  float confidence = 0;                  ///< detector score, 0..1
  bool success = false;                  ///< a face is there (detected or tracked)
  std::vector<cv::Point2f> landmarks;    ///< 68 points, or empty
};

class FaceTracker {
 public:
  /// Loads the detector and landmark models; throws DataError naming a
  /// missing or unreadable model file.
  explicit FaceTracker(FaceTrackerOptions options);
  ~FaceTracker();
  FaceTracker(FaceTracker&&) noexcept;
  FaceTracker& operator=(FaceTracker&&) noexcept;

  /// Faces in one frame (BGR or grey), largest first, landmarks fitted.
  std::vector<FaceObservation> detect(const cv::Mat& image);

  /// Similarity transform (2x3, CV_64F) from the frame to the canonical crop
  /// of crop_size: from the landmarks when present, else from the box.
  cv::Mat alignment(const FaceObservation& face) const;
  /// The same in unit coordinates (canonical face in [0, 1]^2), whatever
  /// crop_size is: what FaceAlignment keeps (alignment.h).
  cv::Mat unit_alignment(const FaceObservation& face) const;
  /// The crop: `image` warped by `transform` to crop_size.
  cv::Mat crop(const cv::Mat& image, const cv::Mat& transform) const;

  /// Long videos: faces in the next frame, with face ids stable across frames.
  /// Frames where the largest face (or, with all_faces, a tracked face) is not
  /// found report success = false for it.
  std::vector<FaceObservation> track(const cv::Mat& image);

  /// Forgets every tracked face (ids restart at 0): call before the first
  /// frame of another video, so nothing of one video leaks into the next.
  void reset();

  const FaceTrackerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Canonical landmark-derived points in the crop (fractions): left eye,
/// right eye, mouth centre.
std::vector<cv::Point2f> canonical_points(cv::Size crop_size);

}  // namespace mexa::temporal
