// `mexa train`'s flags resolved into the run's model input and trainer
// configuration (train_resolve.cpp). Each throws UsageError naming the flag.
#pragma once

#include <boost/program_options.hpp>

#include <string>
#include <vector>

#include "mexa/engine/distributed.h"
#include "train_flags.h"

namespace mexa::cli {

namespace po = boost::program_options;

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
