#include "storage/storage.h"

#include "io/copy.h"

namespace walnut {

void Storage::ListTemporaryFiles(std::string_view, const ListOptions&,
                                 const std::function<void(const ObjectInfo&)>&) {}

void Storage::Copy(std::string_view from, std::string_view to) {
  auto reader = Get(from);
  auto writer = Put(to);
  walnut::Copy(*reader, *writer);
  writer->Close();
}

}  // namespace walnut
