#pragma once

#include <cstddef>

namespace walnut {

// The buffers handed between the threads of one tar's pipeline (reading and hashing, compressing,
// writing): small, so that memory stays flat with many tars in flight, yet large enough that the
// hand-over (a lock and a wake-up per buffer) costs nothing next to the work on the bytes.
inline constexpr size_t kStageBufferSize = 256 * 1024;
inline constexpr size_t kStageDepth = 4;

}  // namespace walnut
