#pragma once

#include <map>
#include <string>

#include "io/reader.h"

namespace walnut {

// The bytes of one stored object (Storage::Get) together with the user metadata kept with it
// (ObjectInfo::metadata), as found by the same request that returns the bytes: no extra round
// trip, and never the metadata of another version of the object. Readers that verify what they
// read (a recorded SHA-256) need both. Not thread-safe, as every Reader.
class StorageReader : public Reader {
 public:
  // The object's user metadata; empty when it has none or the backend keeps none. Valid from
  // construction.
  virtual const std::map<std::string, std::string>& metadata() const = 0;
};

}  // namespace walnut
