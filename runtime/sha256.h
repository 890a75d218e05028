// Rekindle runtime: SHA-256 of a stream of bytes (OpenSSL's libcrypto, which uses the CPU's SHA
// extensions where there are any), for the run manifest's snapshot fingerprint: the readers feed
// it the file's bytes as they read them, so the digest costs no second pass over the file.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace rk {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  // The digest as 64 lowercase hex digits; the hash is finished (update() no longer applies).
  std::string hex();
  // Bytes hashed so far.
  uint64_t bytes() const { return bytes_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_ = 0;
};

// SHA-256 of byte ranges on a thread of its own, in the order they are added, so hashing a
// snapshot overlaps decoding, evaluating and writing instead of adding to them. A range must stay
// readable and unchanged until hex() returns (the Arrow reader keeps its mapping alive) or until
// drain() has returned (the CSV scanner drains before it reuses its buffer).
class BackgroundSha256 {
 public:
  BackgroundSha256() = default;
  ~BackgroundSha256();
  BackgroundSha256(const BackgroundSha256&) = delete;
  BackgroundSha256& operator=(const BackgroundSha256&) = delete;
  void add(const void* data, size_t size);
  // Waits until every range added so far is hashed: their memory may then be reused.
  void drain();
  // Waits for every range added and returns the digest (64 hex digits).
  std::string hex();
  uint64_t bytes() const { return added_; }

 private:
  void loop();
  struct Range {
    const unsigned char* p;
    size_t n;
  };
  Sha256 sha_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable drained_;  // signalled as each range is done
  std::deque<Range> queue_;
  bool stop_ = false, abandon_ = false;
  uint64_t added_ = 0;
  uint64_t hashed_ = 0;  // bytes of the ranges done
  std::string digest_;
  std::thread thread_;
};

}  // namespace rk
