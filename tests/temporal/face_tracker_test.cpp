// temporal::FaceTracker on a real face video (Megamind.avi from opencv-doc).
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <cmath>
#include <fstream>
#include <numeric>
#include <set>

#include "mexa/io/errors.h"
#include "mexa/io/video_reader.h"
#include "mexa/synth/face.h"
#include "mexa/temporal/face_tracker.h"
#include "mexa/temporal/frame_image.h"

namespace mexa::temporal {
namespace {

const char* kMegamind = "/usr/share/doc/opencv-doc/examples/data/Megamind.avi";

std::vector<cv::Mat> megamind_frames() {
  std::vector<cv::Mat> frames;
  if (!std::ifstream(kMegamind)) return frames;
  io::VideoReaderOptions options;
  options.pixel_format = io::PixelFormat::Rgb24;
  io::VideoReader reader(kMegamind, options);
  io::Frame frame;
  while (reader.next(frame)) {
    cv::Mat bgr;
    cv::cvtColor(to_mat(frame), bgr, cv::COLOR_RGB2BGR);
    frames.push_back(bgr);
  }
  return frames;
}

const std::vector<cv::Mat>& frames() {
  static const std::vector<cv::Mat> all = megamind_frames();
  return all;
}

TEST(FaceTracker, FindsTheFaceInAtLeast95PercentOfMegamindFrames) {
  if (frames().empty()) GTEST_SKIP() << "opencv-doc's Megamind.avi is not installed";
  FaceTrackerOptions options;
  options.landmarks = false;
  FaceTracker tracker(options);
  // Every third of the 270 frames: full-frame HOG detection is the slowest thing
  // in the suite (12 s here, 270 s under AddressSanitizer for all frames), and
  // 90 frames still spread over the whole clip.
  constexpr size_t kStride = 3;
  int found = 0;
  size_t tried = 0;
  std::vector<cv::Point2f> centres;
  for (size_t i = 0; i < frames().size(); i += kStride) {
    ++tried;
    const auto faces = tracker.detect(frames()[i]);
    if (faces.empty()) continue;
    ++found;
    centres.push_back((faces[0].box.tl() + faces[0].box.br()) * 0.5f);
  }
  const double rate = 100.0 * found / static_cast<double>(tried);
  // Jitter: movement between sampled frames of the box centre (the character moves too).
  std::vector<double> steps;
  for (size_t i = 1; i < centres.size(); ++i) steps.push_back(cv::norm(centres[i] - centres[i - 1]));
  std::sort(steps.begin(), steps.end());
  const double mean = std::accumulate(steps.begin(), steps.end(), 0.0) / static_cast<double>(steps.size());
  std::cout << "[ MEGAMIND ] dlib HOG: face in " << found << "/" << tried << " frames (" << rate
            << " %); box-centre movement per " << kStride << " frames: median " << steps[steps.size() / 2] << " px, mean " << mean
            << " px, 90th percentile " << steps[steps.size() * 9 / 10] << " px\n";
  EXPECT_GE(rate, 95.0);
}

/// Faces found in `images` by `detector`, with and without the replicated border.
std::pair<int, int> found_in(const std::vector<cv::Mat>& images, FaceDetector detector, int min_face = 0) {
  FaceTrackerOptions options;
  options.detector = detector;
  options.landmarks = false;
  options.min_face = min_face;
  options.pad = false;
  FaceTracker plain(options);
  options.pad = true;
  FaceTracker padded(options);
  int before = 0, after = 0;
  for (const auto& image : images) {
    before += plain.detect(image).empty() ? 0 : 1;
    const auto faces = padded.detect(image);
    if (faces.empty()) continue;
    ++after;
    // The box maps back onto the crop: its centre lies inside the image.
    const cv::Point2f c = (faces[0].box.tl() + faces[0].box.br()) * 0.5f;
    EXPECT_TRUE(c.x > 0 && c.y > 0 && c.x < static_cast<float>(image.cols) && c.y < static_cast<float>(image.rows));
  }
  return {before, after};
}

// Frames of Megamind.avi cut tightly to the face HOG finds in the whole frame,
// as datasets' cropped releases are: the detectors need the replicated border.
TEST(FaceTracker, FindsTightlyCroppedMegamindFacesInsideAReplicatedBorder) {
  if (frames().empty()) GTEST_SKIP() << "opencv-doc's Megamind.avi is not installed";
  FaceTrackerOptions options;
  options.landmarks = false;
  FaceTracker tracker(options);
  std::vector<cv::Mat> crops;
  for (size_t i = 0; i < frames().size(); i += 9) {
    const auto faces = tracker.detect(frames()[i]);
    if (faces.empty()) continue;
    // dlib's box runs from the brows to the lips; a cropped release keeps the
    // whole face: the box grown by a tenth on each side, cut to the frame.
    constexpr float g = 0.1f;
    cv::Rect2f grown = faces[0].box;
    grown.x -= g * grown.width;
    grown.y -= g * grown.height;
    grown.width *= 1 + 2 * g;
    grown.height *= 1 + 2 * g;
    const cv::Rect box = cv::Rect(grown) & cv::Rect(0, 0, frames()[i].cols, frames()[i].rows);
    crops.push_back(frames()[i](box).clone());
  }
  ASSERT_GE(crops.size(), 25u);
  const auto [hog_before, hog_after] = found_in(crops, FaceDetector::DlibHog);
  const auto [haar_before, haar_after] = found_in(crops, FaceDetector::Haar);
  const auto n = static_cast<double>(crops.size());
  std::cout << "[ CROPS    ] " << crops.size() << " tight Megamind crops: hog " << 100 * hog_before / n << " % -> "
            << 100 * hog_after / n << " %, haar " << 100 * haar_before / n << " % -> " << 100 * haar_after / n
            << " % (without -> with the replicated border)\n";
  EXPECT_GE(hog_after / n, 0.9);
  EXPECT_GE(haar_after / n, 0.9);
  EXPECT_GT(hog_after, hog_before) << "the border finds crops the frame alone does not";
  EXPECT_GT(haar_after, haar_before);
}

// Faces smaller than HOG's 80 px window: --min-face 40 upsamples the image.
TEST(FaceTracker, AMinFaceUnderHogsWindowFindsSmallFaces) {
  if (frames().empty()) GTEST_SKIP() << "opencv-doc's Megamind.avi is not installed";
  std::vector<cv::Mat> small;
  for (size_t i = 0; i < frames().size(); i += 27) {
    cv::Mat image;
    cv::resize(frames()[i], image, cv::Size(), 0.25, 0.25, cv::INTER_AREA);  // faces of about 60 px
    small.push_back(image);
  }
  FaceTrackerOptions options;
  options.landmarks = false;
  options.pad = false;
  int by_default = 0, with_min_face = 0;
  FaceTracker plain(options);
  options.min_face = 40;
  FaceTracker upsampling(options);
  for (const auto& image : small) {
    by_default += plain.detect(image).empty() ? 0 : 1;
    const auto faces = upsampling.detect(image);
    with_min_face += faces.empty() ? 0 : 1;
    if (!faces.empty())  // boxes are in the frame's pixels, not the upsampled image's
      EXPECT_TRUE(faces[0].box.x + faces[0].box.width / 2 < static_cast<float>(image.cols) &&
                  faces[0].box.width < static_cast<float>(image.cols) / 2)
          << faces[0].box;
  }
  std::cout << "[ SMALL    ] " << small.size() << " Megamind frames at 0.25x: hog finds " << by_default
            << " by default, " << with_min_face << " with --min-face 40\n";
  EXPECT_GE(with_min_face, static_cast<int>(small.size()) / 2);  // 180x132 frames: blurred faces
  EXPECT_GT(with_min_face, by_default);
}

// mexa synth's faces: found whole by HOG first, then cut tightly (CASME II's
// cropped release fills the frame with the face) and found again.
TEST(FaceTracker, FindsTightlyCroppedSyntheticFaces) {
  std::vector<cv::Mat> whole, crops;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    const auto face = synth::SubjectFace::random(seed, {320, 320}, /*placement=*/true);
    cv::Mat image;
    synth::render_neutral(face, {320, 320}, seed).convertTo(image, CV_8UC3);
    whole.push_back(image);
    const cv::Rect box = cv::Rect(cv::Point(face.at(-1, -1)), cv::Point(face.at(1, 1))) & cv::Rect(0, 0, 320, 320);
    crops.push_back(image(box).clone());
  }
  const auto [whole_found, unused] = found_in(whole, FaceDetector::DlibHog);
  ASSERT_GE(whole_found, 10) << "HOG must find the synthetic faces whole before crops mean anything";
  const auto [before, after] = found_in(crops, FaceDetector::DlibHog, /*min_face=*/40);
  std::cout << "[ CROPS    ] 12 tight synthetic crops: hog " << before << " -> " << after
            << " found (whole faces: " << whole_found << ")\n";
  EXPECT_GE(after, 11);
  EXPECT_GT(after, before) << "the border finds a crop the frame alone does not";
}

TEST(FaceTracker, LandmarksAlignTheEyesToTheCanonicalCrop) {
  if (frames().empty()) GTEST_SKIP() << "opencv-doc's Megamind.avi is not installed";
  FaceTracker tracker({});
  const auto faces = tracker.detect(frames()[10]);
  ASSERT_FALSE(faces.empty());
  const FaceObservation& face = faces[0];
  ASSERT_EQ(face.landmarks.size(), 68u);
  int inside = 0;
  cv::Rect2f grown(face.box.x - 0.2f * face.box.width, face.box.y - 0.2f * face.box.height, 1.4f * face.box.width,
                   1.4f * face.box.height);
  for (const auto& p : face.landmarks) inside += grown.contains(p);
  EXPECT_GE(inside, 64);
  const cv::Mat transform = tracker.alignment(face);
  ASSERT_EQ(transform.size(), cv::Size(3, 2));
  // Eye centres land near their canonical places in the 128x128 crop.
  const auto canonical = canonical_points({128, 128});
  auto apply = [&](cv::Point2f p) {
    return cv::Point2f(static_cast<float>(transform.at<double>(0, 0) * p.x + transform.at<double>(0, 1) * p.y +
                                          transform.at<double>(0, 2)),
                       static_cast<float>(transform.at<double>(1, 0) * p.x + transform.at<double>(1, 1) * p.y +
                                          transform.at<double>(1, 2)));
  };
  cv::Point2f left(0, 0), right(0, 0);
  for (int i = 36; i < 42; ++i) left += face.landmarks[static_cast<size_t>(i)] * (1.0f / 6);
  for (int i = 42; i < 48; ++i) right += face.landmarks[static_cast<size_t>(i)] * (1.0f / 6);
  EXPECT_LT(cv::norm(apply(left) - canonical[0]), 4.0);
  EXPECT_LT(cv::norm(apply(right) - canonical[1]), 4.0);
  const cv::Mat crop = tracker.crop(frames()[10], transform);
  EXPECT_EQ(crop.size(), cv::Size(128, 128));
}

TEST(FaceTracker, TrackingKeepsOneIdThroughMegamind) {
  if (frames().empty()) GTEST_SKIP() << "opencv-doc's Megamind.avi is not installed";
  FaceTrackerOptions options;
  options.redetect_every = 10;
  FaceTracker tracker(options);
  int success = 0;
  std::set<int> ids;
  for (const cv::Mat& f : frames()) {
    const auto faces = tracker.track(f);
    ASSERT_EQ(faces.size(), 1u);
    if (faces[0].success) {
      ++success;
      ids.insert(faces[0].face_id);
      EXPECT_EQ(faces[0].landmarks.size(), 68u);
    }
  }
  EXPECT_GE(100.0 * success / frames().size(), 95.0);
  EXPECT_EQ(ids.size(), 1u);
}

TEST(FaceTracker, AllFacesGivesEachFaceItsOwnId) {
  if (frames().empty()) GTEST_SKIP() << "opencv-doc's Megamind.avi is not installed";
  // The frame beside a smaller copy of itself: two faces of different sizes.
  const cv::Mat& frame = frames()[10];
  cv::Mat small, padded, two;
  cv::resize(frame, small, cv::Size(), 0.8, 0.8);
  cv::copyMakeBorder(small, padded, 0, frame.rows - small.rows, 0, 0, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  cv::hconcat(frame, padded, two);
  FaceTrackerOptions options;
  options.all_faces = true;
  options.landmarks = false;
  FaceTracker tracker(options);
  const size_t in_one_frame = FaceTracker(options).detect(frame).size();
  ASSERT_GE(in_one_frame, 1u);
  const auto faces = tracker.track(two);
  ASSERT_GE(faces.size(), in_one_frame + 1) << "the smaller copy adds a face";
  std::set<int> ids;
  for (const auto& f : faces) ids.insert(f.face_id);
  EXPECT_EQ(ids.size(), faces.size()) << "every face has its own id";
  EXPECT_GE(faces[0].box.area(), faces.back().box.area());  // largest first
  FaceTrackerOptions largest = options;
  largest.all_faces = false;
  FaceTracker one(largest);
  EXPECT_EQ(one.detect(two).size(), 1u);
}

TEST(FaceTracker, NoDetectorMapsTheWholeFrameToTheCrop) {
  FaceTrackerOptions options;
  options.detector = FaceDetector::None;
  FaceTracker tracker(options);
  const cv::Mat frame(256, 256, CV_8UC3, cv::Scalar(1, 2, 3));
  const auto faces = tracker.detect(frame);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_TRUE(faces[0].landmarks.empty());
  const cv::Mat t = tracker.alignment(faces[0]);
  EXPECT_DOUBLE_EQ(t.at<double>(0, 0), 0.5);
  EXPECT_EQ(tracker.crop(frame, t).size(), cv::Size(128, 128));
}

TEST(FaceTracker, MissingModelFilesAreNamed) {
  FaceTrackerOptions options;
  options.detector = FaceDetector::Haar;
  options.cascade = "/nonexistent/cascade.xml";
  try {
    FaceTracker tracker(options);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/cascade.xml");
  }
  options = {};
  options.landmark_model = "/nonexistent/shape.dat";
  EXPECT_THROW(FaceTracker{options}, DataError);
  EXPECT_THROW(parse_face_detector("mtcnn"), std::invalid_argument);
}

}  // namespace
}  // namespace mexa::temporal
