#pragma once

#include <chrono>
#include <string>

#include "storage/s3/credentials/credentials_provider.h"

namespace walnut::s3 {

// A profile's credential_process: a command run with /bin/sh -c (as the AWS SDKs do on Unix) that
// prints a JSON credentials document (Version 1) on stdout. Its stderr passes through to
// walnut's. Each Fetch() runs it again.
class CredentialProcessFetcher final : public CredentialsFetcher {
 public:
  // `profile` names the source in messages; the command line is never printed (it may hold a
  // secret argument).
  CredentialProcessFetcher(std::string command, std::string profile,
                           std::chrono::milliseconds timeout = std::chrono::minutes(1));

  // Throws Error(kPermissionDenied) naming the profile when the command cannot start, exits
  // non-zero or by a signal, runs longer than the timeout (it is killed), or prints more than
  // 64 KiB or anything but a Version 1 document.
  TimedCredentials Fetch() override;
  std::string Describe() const override;

 private:
  const std::string command_;
  const std::string profile_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace walnut::s3
