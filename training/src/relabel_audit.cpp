#include "mexa/training/relabel_audit.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "mexa/io/csv.h"

namespace mexa::training {

std::string relabel_summary(const engine::EpochRecord& r, const std::vector<std::string>& classes) {
  if (r.relabelled < 0) return "";
  std::map<std::pair<int, int>, int> moves;  // an undone relabel is a move back to the clip's label
  int changed = 0;
  for (const auto& m : r.relabel_moves) ++moves[{m.from, m.to}];
  std::string list;
  for (const auto& [pair, n] : moves) {
    list += (list.empty() ? "" : ", ") + classes.at(static_cast<size_t>(pair.first)) + "->" +
            classes.at(static_cast<size_t>(pair.second)) + " " + std::to_string(n);
    changed += n;
  }
  return fmt::format(", SCN: {} changed{}, {} relabelled now, probability scale {:.2f}", changed,
                     list.empty() ? "" : " (" + list + ")", r.relabelled, r.relabel_scale);
}

std::string relabels_by_epoch_csv(const std::vector<engine::EpochRecord>& history, const io::Manifest& manifest,
                                  const std::vector<std::string>& classes) {
  std::string csv = "epoch,id,from,to\n";
  for (const auto& r : history)
    for (const auto& m : r.relabel_moves)
      csv += std::to_string(r.epoch) + "," + io::csv_escape(manifest.rows.at(static_cast<size_t>(m.index)).id) + "," +
             classes.at(static_cast<size_t>(m.from)) + "," + classes.at(static_cast<size_t>(m.to)) + "\n";
  return csv;
}

double roc_auc(const std::vector<double>& scores, const std::vector<char>& positive) {
  double pos = 0, neg = 0, wins = 0;
  for (size_t i = 0; i < scores.size(); ++i) (positive[i] ? pos : neg) += 1;
  if (pos == 0 || neg == 0) return -1;
  for (size_t i = 0; i < scores.size(); ++i)
    if (positive[i])
      for (size_t j = 0; j < scores.size(); ++j)
        if (!positive[j]) wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
  return wins / (pos * neg);
}

RelabelAudit audit_relabels(const std::vector<int64_t>& train, const std::vector<int>& labels,
                            const std::vector<int>& truth, const std::vector<engine::Relabel>& relabelled,
                            const std::vector<std::pair<int64_t, float>>& importance, size_t classes,
                            const std::vector<std::pair<int64_t, float>>& uncertainty) {
  RelabelAudit a;
  a.changes.assign(classes, std::vector<int64_t>(classes, 0));
  std::map<int64_t, int> now;
  for (const auto& r : relabelled)
    if (r.to != r.from) now[r.index] = r.to;
  for (int64_t i : train) {
    const auto k = static_cast<size_t>(i);
    ++a.training;
    const bool noisy = labels[k] != truth[k];
    a.noisy += noisy;
    const auto it = now.find(i);
    if (it == now.end()) continue;
    ++a.relabelled;
    ++a.changes[static_cast<size_t>(labels[k])][static_cast<size_t>(it->second)];
    if (it->second == truth[k]) ++a.restored;
    if (!noisy) ++a.broken;
  }
  const auto auc = [&](const std::vector<std::pair<int64_t, float>>& values, double sign) {
    std::vector<double> scores;
    std::vector<char> wrong;
    for (const auto& [i, v] : values) {
      scores.push_back(sign * static_cast<double>(v));
      wrong.push_back(labels[static_cast<size_t>(i)] != truth[static_cast<size_t>(i)]);
    }
    return roc_auc(scores, wrong);
  };
  a.importance_auc = auc(importance, -1);   // low importance should mean a wrong label
  a.uncertainty_auc = auc(uncertainty, 1);  // high uncertainty should
  return a;
}

nlohmann::json audit_to_json(const RelabelAudit& a, const std::vector<std::string>& classes) {
  nlohmann::json changes = nlohmann::json::array();
  for (size_t f = 0; f < a.changes.size(); ++f)
    for (size_t t = 0; t < a.changes[f].size(); ++t)
      if (a.changes[f][t] > 0) changes.push_back({{"from", classes.at(f)}, {"to", classes.at(t)}, {"n", a.changes[f][t]}});
  return {{"training_clips", a.training}, {"noisy", a.noisy},         {"relabelled", a.relabelled},
          {"restored", a.restored},       {"fixed", a.restored},         {"broken", a.broken},
          {"precision", a.precision()},   {"recall", a.recall()},
          {"scn_importance_auc", a.importance_auc < 0 ? nlohmann::json() : nlohmann::json(a.importance_auc)},
          {"rul_uncertainty_auc", a.uncertainty_auc < 0 ? nlohmann::json() : nlohmann::json(a.uncertainty_auc)},
          {"changes", changes}};
}

RelabelAudit audit_from_json(const nlohmann::json& j, const std::vector<std::string>& classes) {
  RelabelAudit a;
  a.training = j.at("training_clips"), a.noisy = j.at("noisy"), a.relabelled = j.at("relabelled");
  a.restored = j.at("restored"), a.broken = j.at("broken");
  a.importance_auc = j.at("scn_importance_auc").is_null() ? -1.0 : j.at("scn_importance_auc").get<double>();
  const auto rul = j.value("rul_uncertainty_auc", nlohmann::json());
  a.uncertainty_auc = rul.is_null() ? -1.0 : rul.get<double>();
  a.changes.assign(classes.size(), std::vector<int64_t>(classes.size(), 0));
  const auto index = [&](const std::string& name) {
    return static_cast<size_t>(std::find(classes.begin(), classes.end(), name) - classes.begin());
  };
  for (const auto& c : j.at("changes")) {
    const size_t f = index(c.at("from")), t = index(c.at("to"));
    if (f < classes.size() && t < classes.size()) a.changes[f][t] = c.at("n");
  }
  return a;
}

nlohmann::json audit_json(const std::vector<std::pair<std::string, RelabelAudit>>& folds,
                          const std::vector<std::string>& classes, const std::string& truth_column) {
  RelabelAudit pooled;
  pooled.changes.assign(classes.size(), std::vector<int64_t>(classes.size(), 0));
  double auc_sum = 0, rul_sum = 0;
  int auc_n = 0, rul_n = 0;
  nlohmann::json per_fold = nlohmann::json::object();
  for (const auto& [name, a] : folds) {
    pooled.training += a.training, pooled.noisy += a.noisy, pooled.relabelled += a.relabelled;
    pooled.restored += a.restored, pooled.broken += a.broken;
    for (size_t f = 0; f < a.changes.size() && f < classes.size(); ++f)
      for (size_t t = 0; t < a.changes[f].size() && t < classes.size(); ++t) pooled.changes[f][t] += a.changes[f][t];
    if (a.importance_auc >= 0) auc_sum += a.importance_auc, ++auc_n;
    if (a.uncertainty_auc >= 0) rul_sum += a.uncertainty_auc, ++rul_n;
    per_fold[name] = audit_to_json(a, classes);
  }
  pooled.importance_auc = auc_n ? auc_sum / auc_n : -1;
  pooled.uncertainty_auc = rul_n ? rul_sum / rul_n : -1;
  return {{"truth", truth_column},
          {"note", "precision: share of relabels that restored the true label; recall: share of noisy training clips "
                   "fixed; counts are summed over folds (a clip trains in several folds); AUCs (low SCN importance, "
                   "high RUL uncertainty, each against a wrong label; 0.5 = chance) are the folds' means"},
          {"pooled", audit_to_json(pooled, classes)},
          {"folds", per_fold}};
}

}  // namespace mexa::training
