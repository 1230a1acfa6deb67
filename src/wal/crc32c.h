#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace walnut {

// CRC-32C (Castagnoli), with the CPU's crc32 instruction when it has one (SSE 4.2: ~10x the
// speed of SHA-256): a cheap fingerprint to notice that bytes changed between two reads, not a
// defence against tampering. Extend() continues a running checksum; start from 0.
uint32_t Crc32cExtend(uint32_t crc, ConstByteSpan data);

}  // namespace walnut
