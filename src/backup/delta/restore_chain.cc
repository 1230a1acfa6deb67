#include "backup/delta/restore_chain.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "backup/tar_reader.h"
#include "common/error.h"
#include "common/excerpt.h"
#include "common/logging.h"

namespace walnut {
namespace {

bool HasFilesMetadata(const BackupSentinel& sentinel) {
  return !sentinel.files_metadata_disabled &&
         (sentinel.version >= 2 || sentinel.has_embedded_files);
}

BackupSentinel LoadBase(const BackupCatalog& catalog, const std::string& target,
                        const ChainLevel& child) {
  try {
    return catalog.LoadSentinel(child.sentinel.delta_from);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kNotFound) throw;
    throw Error(
        ErrorCode::kNotFound,
        fmt::format("backup {}: the delta chain is broken: {} is a delta of {}, which cannot "
                    "be read ({})",
                    target, child.name, child.sentinel.delta_from, e.what()));
  }
}

}  // namespace

std::vector<ChainLevel> LoadChain(const BackupCatalog& catalog, const std::string& target_name,
                                  const BackupSentinel& target_sentinel) {
  std::vector<ChainLevel> chain{ChainLevel{target_name, target_sentinel}};
  std::set<std::string> names{target_name};
  while (chain.back().sentinel.IsDelta()) {
    const ChainLevel& child = chain.back();
    const std::string& base = child.sentinel.delta_from;
    if (chain.size() >= kMaxChainLength) {
      throw Error(
          ErrorCode::kCorruption,
          fmt::format("backup {}: its delta chain is longer than {} backups (still going at "
                      "{}, a delta of {})",
                      target_name, kMaxChainLength, child.name, base));
    }
    if (!names.insert(base).second) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("backup {}: its delta chain loops: {} is a delta of {}, which is "
                              "already in the chain",
                              target_name, child.name, base));
    }
    BackupSentinel sentinel = LoadBase(catalog, target_name, child);
    if (child.sentinel.system_identifier && sentinel.system_identifier &&
        *child.sentinel.system_identifier != *sentinel.system_identifier) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("backup {}: {} is a delta of {}, a backup of another cluster "
                              "(system identifier {} instead of {})",
                              target_name, child.name, base, *sentinel.system_identifier,
                              *child.sentinel.system_identifier));
    }
    if (child.sentinel.delta_lsn && *child.sentinel.delta_lsn != sentinel.lsn) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("backup {}: {} is a delta from LSN {}, but its base {} starts at {} "
                              "(was the base replaced?)",
                              target_name, child.name, pg::FormatLsn(*child.sentinel.delta_lsn),
                              base, pg::FormatLsn(sentinel.lsn)));
    }
    chain.push_back(ChainLevel{base, std::move(sentinel)});
  }
  std::reverse(chain.begin(), chain.end());
  for (const ChainLevel& level : chain) {
    if (!HasFilesMetadata(level.sentinel)) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("backup {}: {} of its delta chain has no files metadata, without "
                              "which the chain cannot be applied",
                              target_name, level.name));
    }
  }
  if (!target_sentinel.delta_full_name.empty() &&
      target_sentinel.delta_full_name != chain.front().name) {
    spdlog::warn(
        "backup {} names {} as its full backup (DeltaFullName), but its chain starts at {}",
        target_name, target_sentinel.delta_full_name, chain.front().name);
  }
  return chain;
}

ChainPlan::ChainPlan(std::vector<std::string> level_names)
    : names_(std::move(level_names)), levels_(names_.size()) {
  if (names_.empty() || names_.size() > kMaxChainLength) {
    throw Error(ErrorCode::kInternal, "a restore chain needs 1 to kMaxChainLength levels");
  }
  expected_level_ = names_.size() - 1;
}

FilesMetadataVisitor ChainPlan::Visitor(size_t level) {
  if (level != expected_level_) {
    throw Error(ErrorCode::kInternal, "ChainPlan levels must be read newest first");
  }
  unresolved_at_start_ = unresolved_;
  unresolved_seen_ = 0;
  FilesMetadataVisitor visitor;
  visitor.on_file = [this, level](const std::string& path, const BackupFileDescription& file) {
    OnFile(level, path, file);
  };
  visitor.on_tar_file_set = [this, level](const std::string& tar,
                                          const std::vector<std::string>& paths) {
    OnTarFileSet(level, tar, paths);
  };
  return visitor;
}

void ChainPlan::OnFile(size_t level, const std::string& path, const BackupFileDescription& file) {
  const std::string& backup = names_[level];
  Level& state = levels_[level];
  if (state.has_tar_sets) {
    throw Error(
        ErrorCode::kUnsupported,
        fmt::format("backup {}: its files metadata lists TarFileSets before Files", backup));
  }
  std::optional<std::string> relative = NormalizeTarPath(path);
  if (!relative || relative->empty()) {
    throw Error(ErrorCode::kCorruption,
                fmt::format("backup {}: files_metadata.json lists an unsafe path '{}'", backup,
                            Excerpt(path)));
  }
  bool target = level + 1 == names_.size();
  FilePlan* plan = nullptr;
  if (target) {
    auto [it, inserted] = files_.try_emplace(*relative);
    if (!inserted) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("backup {}: files_metadata.json lists {} twice", backup, path));
    }
    plan = &it->second;
  } else {
    auto it = files_.find(*relative);
    // Not in the target (dropped since), or its whole copy comes from a newer level.
    if (it == files_.end() || it->second.whole_level != kNone) return;
    plan = &it->second;
    if (plan->seen_level == level) return;  // listed twice: the first entry counts
    ++unresolved_seen_;
  }
  if (file.is_skipped && file.is_incremented) {
    throw Error(ErrorCode::kCorruption,
                fmt::format("backup {}: files_metadata.json marks {} both skipped and incremented",
                            backup, path));
  }
  if (level == 0 && (file.is_skipped || file.is_incremented)) {
    throw Error(ErrorCode::kCorruption,
                fmt::format("backup {}: file {} is {} in {}, the full backup at the chain's root: "
                            "there is no older copy to take it from",
                            names_.back(), *relative, file.is_skipped ? "skipped" : "an increment",
                            backup));
  }
  plan->seen_level = static_cast<uint16_t>(level);
  plan->taken_at_seen = !file.is_skipped;
  if (file.is_skipped) {
    if (target) ++unresolved_;
    return;
  }
  ++plan->pieces;
  if (plan->last_level == kNone) plan->last_level = static_cast<uint16_t>(level);
  if (!file.sha256.empty()) {
    std::string hex = file.sha256;
    std::transform(hex.begin(), hex.end(), hex.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    state.sha256.emplace(plan, std::move(hex));
  }
  if (file.is_incremented) {
    if (target) ++unresolved_;
  } else {
    plan->whole_level = static_cast<uint16_t>(level);
    if (!target) --unresolved_;
  }
}

void ChainPlan::OnTarFileSet(size_t level, const std::string& tar,
                             const std::vector<std::string>& paths) {
  Level& state = levels_[level];
  state.has_tar_sets = true;
  if (level + 1 == names_.size()) return;
  for (const std::string& path : paths) {
    std::optional<std::string> relative = NormalizeTarPath(path);
    if (!relative) continue;
    auto it = files_.find(*relative);
    if (it != files_.end() && it->second.seen_level == level && it->second.taken_at_seen) {
      state.needed_tars.insert(tar);
      return;
    }
  }
}

void ChainPlan::FinishLevel(size_t level) {
  if (level != expected_level_) {
    throw Error(ErrorCode::kInternal, "ChainPlan::FinishLevel out of order");
  }
  if (unresolved_seen_ != unresolved_at_start_ || (level == 0 && unresolved_ != 0)) {
    for (const auto& [path, file] : files_) {
      if (file.whole_level != kNone || file.seen_level == level) continue;
      throw Error(ErrorCode::kCorruption,
                  fmt::format("backup {}: file {} is {} in {}, but its base {} does not list it",
                              names_.back(), path, file.taken_at_seen ? "an increment" : "skipped",
                              names_[file.seen_level], names_[level]));
    }
  }
  if (level > 0) expected_level_ = level - 1;
}

ChainPlan::FilePlan* ChainPlan::Find(const std::string& relative) {
  auto it = files_.find(relative);
  return it == files_.end() ? nullptr : &it->second;
}

std::string ChainPlan::Sha256(size_t level, const FilePlan* file) const {
  const auto& sums = levels_[level].sha256;
  auto it = sums.find(file);
  return it == sums.end() ? std::string() : it->second;
}

bool ChainPlan::TarNeeded(size_t level, const std::string& tar_name) const {
  const Level& state = levels_[level];
  return level + 1 == names_.size() || !state.has_tar_sets ||
         state.needed_tars.count(tar_name) != 0;
}

std::vector<std::string> ChainPlan::NeededTars(size_t level) const {
  const auto& needed = levels_[level].needed_tars;
  std::vector<std::string> tars(needed.begin(), needed.end());
  std::sort(tars.begin(), tars.end());
  return tars;
}

}  // namespace walnut
