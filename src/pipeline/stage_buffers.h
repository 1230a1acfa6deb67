#pragma once

#include <cstddef>

namespace walnut {

// The buffers handed between the threads of a pipeline that must stay small (a backup's tars, of
// which several are in flight; a WAL segment, whose wal-push has 16 MiB in all): small, so that
// memory stays flat, yet large enough that the hand-over (a lock and a wake-up per buffer) costs
// nothing next to the work on the bytes.
inline constexpr size_t kStageBufferSize = 256 * 1024;
inline constexpr size_t kStageDepth = 4;

}  // namespace walnut
