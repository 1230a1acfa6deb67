#pragma once

#include "storage/folder.h"

namespace walnut::observe {

// Proves that `root` can be written, read back and deleted: stores a small object under a random
// name ("walnut-check-<hex>"), reads it back, compares and deletes it. Throws Error naming the
// object and the step that failed. Used by `st check write` and `walnut check`.
void ProbeStorageWrite(const Folder& root);

}  // namespace walnut::observe
