#pragma once

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "storage/locked_objects.h"
#include "storage/s3/s3_client.h"
#include "storage/s3/s3_options.h"
#include "storage/s3/s3_xml.h"

namespace walnut::s3 {

// S3 Object Lock (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html): with
// S3_RETENTION_PERIOD set, every object Walnut creates is locked in S3_RETENTION_MODE until its
// creation time plus the period; no one (COMPLIANCE) or only a user allowed to bypass it
// (GOVERNANCE) can delete that version before. S3 wants an integrity header with such uploads:
// Walnut sends Content-MD5 on PutObject and on each UploadPart.

inline bool RetentionEnabled(const S3Options& options) { return options.retention_days > 0; }

// x-amz-object-lock-mode and x-amz-object-lock-retain-until-date (`now` + the period), for the
// requests that create objects; none when retention is off.
net::HttpHeaders ObjectLockHeaders(const S3Options& options,
                                   std::chrono::system_clock::time_point now);

// After a multipart upload created with ObjectLockHeaders `lock` (mode and date): S3 locks the
// object from CreateMultipartUpload's headers, but some servers ignore them there (Ceph RGW 16),
// which would leave the object unlocked without a word. Asks (HeadObject) and, when the object
// carries no lock, sets it with PutObjectRetention. Throws when that fails: the object is then not
// locked as S3_RETENTION_PERIOD asks.
void EnsureLocked(S3Client& client, const std::string& full_key, const net::HttpHeaders& lock);

// The DeleteObjects failures caused by a retention or a legal hold: AccessDenied per key, which a
// plain permission problem gives too. They are told apart by S3's message ("...object lock...") or,
// failing that, by asking for the retention of the first such key (GetObjectRetention): a lock
// until a date to come. Returns those failures as LockedObjects (keys in full) with the latest
// retention end learnt; `failures` keeps the others.
LockedObjects SeparateLocked(S3Client& client, std::vector<DeleteFailure>& failures);

}  // namespace walnut::s3
