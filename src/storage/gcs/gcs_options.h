#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/secret_string.h"

namespace walnut::gcs {

// Everything a GcsStorage needs, resolved from the settings (gcs_settings.cc).
struct GcsOptions {
  std::string bucket;
  // The object-name prefix of the storage root: "" or ending with '/' ("path/to/archive/").
  // With GCS_NORMALIZE_PREFIX=false it is the prefix's path as written (one leading '/' dropped),
  // so "gs://b//odd//" keeps its doubled slashes, as WAL-G does for WAL-E's prefixes.
  std::string root;
  // Where the JSON API lives: "https://storage.googleapis.com", or STORAGE_EMULATOR_HOST.
  std::string endpoint = "https://storage.googleapis.com";
  // The OAuth credentials: a service-account or authorized_user JSON file
  // (GOOGLE_APPLICATION_CREDENTIALS); empty = the GCE/GKE metadata server.
  std::string credentials_file;
  // The metadata server ("http://metadata.google.internal", or GCE_METADATA_HOST).
  std::string metadata_endpoint = "http://metadata.google.internal";
  // GCS_ENCRYPTION_KEY decoded: 32 raw bytes of a customer-supplied AES-256 key, or empty.
  SecretString encryption_key;
  // Resumable uploads send chunks of this many bytes (a multiple of 256 KiB); an object that fits
  // into one chunk goes as a single multipart upload instead.
  uint64_t chunk_size = 50u << 20;
  // Attempts of one request (the first included) = GCS_MAX_RETRIES + 1.
  int max_attempts = 17;
  // How long one request may keep failing and being retried (WALNUT_STORAGE_RETRY_TIMEOUT).
  std::chrono::milliseconds retry_budget{30000};
  // How long one operation (a stat, a listing, a delete, a whole upload) may take in all:
  // GCS_CONTEXT_TIMEOUT, as WAL-G's per-operation context.
  std::chrono::milliseconds operation_timeout{3600 * 1000};
  // Bytes per ranged GET when reading an object (two are held: one read, one being fetched).
  uint64_t read_chunk_size = 8u << 20;
  // Deletes in flight at once.
  int delete_concurrency = 16;
  std::string ca_cert_file;  // AWS_CA_BUNDLE-like override of the TLS roots; empty = system
};

}  // namespace walnut::gcs
