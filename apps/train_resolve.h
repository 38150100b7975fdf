// `mexa train`'s flags resolved into the run's model input and trainer
// configuration (train_resolve.cpp). Each throws UsageError naming the flag.
#pragma once

#include <boost/program_options.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "mexa/engine/distributed.h"
#include "mexa/io/manifest.h"
#include "train_flags.h"

namespace mexa::cli {

namespace po = boost::program_options;

/// A resumed run's (or a joining shard's) config.ini fills in what the command
/// line did not give, and must agree with what it did; true when the run
/// predates --augment (augmentation was on by default then).
bool read_run_config(TrainFlags& f, const po::options_description& options, po::variables_map& vm,
                     const std::filesystem::path& config_path, bool joining);

/// What --data names: one manifest, or datasets read into RUN/data.csv.
struct DataChoice {
  bool from_datasets = false;
  bool images = false;  ///< the datasets' rows name flow images (megc2019)
  io::ManifestOptions manifest_options;
};

/// Sets f.data to the manifest the run reads (a dataset's recipe applied to
/// the flags it did not give); a resumed run's data.csv must be what --data reads now.
DataChoice choose_data(TrainFlags& f, const po::options_description& options, po::variables_map& vm,
                       const std::filesystem::path& run_dir);

/// config.ini records the values the input kind chose, not only the flags given.
void record_resolved(const TrainFlags& f, po::variables_map& vm, const std::vector<std::string>& classes);

/// f.spec from --input's defaults and the input flags (the data's kind checked
/// against it: `data_images`, datasets read into flow images).
void resolve_input(TrainFlags& f, po::variables_map& vm, bool from_datasets, bool data_images);

struct ResolveContext {
  bool saved_without_augment = false;  ///< a run from before --augment: augmentation was on by default then
  bool continuing = false;             ///< a resume or a joining shard: settings come from config.ini
  engine::LaunchInfo launch;
  std::vector<std::string> classes;    ///< the manifest's class set
};

/// f.tc (and f.po_) from the optimisation, model, loss, uncertainty and
/// process flags; the whole configuration checked as fit() would.
void resolve_training(TrainFlags& f, const po::variables_map& vm, const ResolveContext& context);

}  // namespace mexa::cli
