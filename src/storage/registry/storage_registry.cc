#include "storage/factory/storage_factory.h"

#include <algorithm>

#include "common/error.h"
#include "storage/fs/fs_storage.h"
#include "net/global_init.h"
#include "storage/s3/s3_storage.h"

namespace walnut {

size_t PartsInFlight(const Settings& settings) {
  uint64_t buffers = kUploadBufferBudget / std::max<uint64_t>(1, settings.s3.max_part_size);
  uint64_t by_memory = buffers > 1 ? buffers - 1 : 1;
  uint64_t parts = std::min<uint64_t>(static_cast<uint64_t>(settings.upload_concurrency), by_memory);
  return static_cast<size_t>(std::max<uint64_t>(1, parts));
}

std::unique_ptr<Storage> OpenStorage(const Settings& settings) {
  switch (settings.storage.type) {
    case StorageType::kFile:
      return std::make_unique<FsStorage>(settings.storage.root);
    case StorageType::kS3: {
      // libcurl and OpenSSL only when S3 is used: their initialisation costs a few MiB of
      // resident memory that wal-push to a directory should not pay.
      net::GlobalInit();
      const S3Settings& s3 = settings.s3;
      s3::S3Options options;
      options.bucket = settings.storage.bucket;
      options.root = settings.storage.root;
      options.endpoint = s3.endpoint;
      options.region = s3.region;
      options.force_path_style = s3.force_path_style;
      options.access_key_id = s3.access_key_id;
      options.secret_access_key = s3.secret_access_key.Reveal();
      options.session_token = s3.session_token.Reveal();
      options.storage_class = s3.storage_class;
      options.sse = s3.sse;
      options.sse_kms_id = s3.sse_kms_key_id;
      options.ca_cert_file = s3.ca_cert_file;
      options.max_part_size = static_cast<size_t>(s3.max_part_size);
      options.upload_concurrency = PartsInFlight(settings);
      // WALG_S3_MAX_RETRIES counts retries; the policy counts attempts (the first one included).
      options.retry.max_attempts = std::max(0, s3.max_retries) + 1;
      if (!s3.sse_customer_key.empty()) {
        throw Error(ErrorCode::kUnsupported,
                    "WALG_S3_SSE_C (customer-provided keys) is not supported yet; use "
                    "WALG_S3_SSE=aws:kms or client-side encryption (WALG_LIBSODIUM_KEY)");
      }
      if (s3.use_list_objects_v1) {
        throw Error(ErrorCode::kUnsupported,
                    "WALG_S3_USE_LIST_OBJECTS_V1 is not supported yet; unset it (ListObjectsV2 is "
                    "used)");
      }
      return std::make_unique<s3::S3Storage>(std::move(options));
    }
  }
  throw Error(ErrorCode::kInternal, "unknown storage type");
}

}  // namespace walnut
