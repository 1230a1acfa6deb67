#include "backup/delta/chain_restorer.h"

#include <fmt/format.h>

#include "common/error.h"

namespace walnut {

ChainRestorer::ChainRestorer(ChainPlan& plan, ChainOrder order) : plan_(plan), order_(order) {}

std::vector<size_t> ChainRestorer::LevelOrder() const {
  std::vector<size_t> order;
  for (size_t i = 0; i < plan_.levels(); ++i) {
    order.push_back(order_ == ChainOrder::kForward ? i : plan_.levels() - 1 - i);
  }
  return order;
}

void ChainRestorer::BeginLevel(size_t level) {
  MutexLock lock(mu_);
  level_ = level;
  // Files completed by a newer level no longer need their page masks.
  std::erase_if(partial_, [&](const auto& item) { return item.first->whole_level > level; });
}

std::string ChainRestorer::Context(const std::string& relative, const std::string& tar_name) const {
  return fmt::format("backup {}: file {} from tar {}", plan_.name(level_), relative, tar_name);
}

FilePiece ChainRestorer::Plan(const std::string& relative, const TarEntry& entry,
                              const std::string& tar_name) {
  FilePiece piece;
  piece.mode = entry.mode;
  piece.mtime = entry.mtime;
  ChainPlan::FilePlan* file = plan_.Find(relative);
  bool target = level_ + 1 == plan_.levels();
  if (file == nullptr) {
    // Not listed by the target: a file of an older level dropped since (never restored), or one
    // of the target's own tars did not list (restored, as for a full backup).
    if (!target) piece.kind = FilePiece::Kind::kSkip;
    return piece;
  }
  if (file->whole_level == ChainPlan::kNone || level_ < file->whole_level ||
      level_ > file->last_level) {
    piece.kind = FilePiece::Kind::kSkip;
    return piece;
  }
  MutexLock lock(mu_);
  if (file->applied_level != level_) {  // a tar retried after a failure does not count twice
    file->applied_level = static_cast<uint16_t>(level_);
    ++file->applied;
    if (file->applied > file->pieces) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("{}: the files metadata of the chain does not take this file from "
                              "backup {} (it is marked skipped there)",
                              Context(relative, tar_name), plan_.name(level_)));
    }
  }
  piece.sha256_hex = plan_.Sha256(level_, file);
  bool whole = level_ == file->whole_level;
  if (order_ == ChainOrder::kForward) {
    piece.final = level_ == file->last_level;
    if (whole) return piece;
    if (file->applied == 1) {
      throw Error(ErrorCode::kCorruption,
                  fmt::format("{}: an increment, but the file's whole copy from backup {} was not "
                              "restored (it is in none of that backup's tars)",
                              Context(relative, tar_name), plan_.name(file->whole_level)));
    }
    piece.kind = FilePiece::Kind::kPatch;
    return piece;
  }
  piece.final = whole;
  if (level_ == file->last_level) {
    if (whole) return piece;  // the file is in one piece
    partial_.try_emplace(file, Partial{PageMask(), entry.mode, entry.mtime});
    piece.kind = FilePiece::Kind::kPatch;
    return piece;
  }
  auto it = partial_.find(file);
  if (it == partial_.end()) {
    throw Error(ErrorCode::kCorruption,
                fmt::format("{}: the file's newest piece, from backup {}, was not restored (it "
                            "is in none of that backup's tars)",
                            Context(relative, tar_name), plan_.name(file->last_level)));
  }
  piece.kind = FilePiece::Kind::kPatch;
  piece.mode = it->second.mode;
  piece.mtime = it->second.mtime;
  return piece;
}

void ChainRestorer::Patch(const std::string& relative, const TarEntry& entry, Reader& content,
                          LocalFile& out, const std::string& tar_name) {
  ChainPlan::FilePlan* file = plan_.Find(relative);
  std::string context = Context(relative, tar_name);
  if (order_ == ChainOrder::kForward) {
    ApplyIncrement(content, entry.size, out, context, nullptr);
    return;
  }
  PageMask* mask = nullptr;
  {
    MutexLock lock(mu_);
    mask = &partial_.at(file).mask;  // Plan() created it; nodes do not move
  }
  if (level_ == file->whole_level) {
    ApplyWholeToMask(content, entry.size, out, context, *mask);
  } else {
    ApplyIncrement(content, entry.size, out, context, mask);
  }
}

void ChainRestorer::CheckComplete() const {
  MutexLock lock(mu_);
  plan_.ForEach([&](const std::string& path, const ChainPlan::FilePlan& file) {
    if (file.applied == 0 || file.applied == file.pieces) return;
    throw Error(ErrorCode::kCorruption,
                fmt::format("backup {}: file {} got {} of its {} pieces (its whole copy from {}, "
                            "increments up to {}): the tars of the chain lack the others",
                            plan_.name(plan_.levels() - 1), path, file.applied, file.pieces,
                            plan_.name(file.whole_level), plan_.name(file.last_level)));
  });
}

}  // namespace walnut
