#pragma once

#include <string>
#include <utility>

#include <string.h>

namespace walnut {

// Text that must never be logged or printed (keys, passwords, tokens). It has no formatter and no
// stream operator, so fmt::format("{}", secret) does not compile; reading it takes an explicit
// Reveal(). The bytes are wiped when it is destroyed or overwritten. Thread-compatible.
class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  SecretString(const SecretString&) = default;
  SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) { other.Wipe(); }
  SecretString& operator=(const SecretString& other) {
    if (this != &other) {
      Wipe();
      value_ = other.value_;
    }
    return *this;
  }
  SecretString& operator=(SecretString&& other) noexcept {
    if (this != &other) {
      Wipe();
      value_ = std::move(other.value_);
      other.Wipe();
    }
    return *this;
  }
  ~SecretString() { Wipe(); }

  bool empty() const { return value_.empty(); }
  // For the one place that uses the secret (a signer, a key loader). Never log the result.
  const std::string& Reveal() const { return value_; }

 private:
  void Wipe() noexcept {
    if (!value_.empty()) explicit_bzero(value_.data(), value_.size());
    value_.clear();
  }
  std::string value_;
};

}  // namespace walnut
