// Rekindle runtime: SHA-256 through OpenSSL's EVP interface (see sha256.h).
#include "runtime/sha256.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>

namespace rk {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  bool done = false;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx) EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256() {
  if (impl_->ctx) EVP_MD_CTX_free(impl_->ctx);
}

void Sha256::update(const void* data, size_t size) {
  if (!impl_->ctx || impl_->done || size == 0) return;
  EVP_DigestUpdate(impl_->ctx, data, size);
  bytes_ += size;
}

std::string Sha256::hex() {
  if (!impl_->ctx || impl_->done) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  impl_->done = true;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

BackgroundSha256::~BackgroundSha256() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = abandon_ = true;
    queue_.clear();  // nothing more is read: the digest is not wanted
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void BackgroundSha256::add(const void* data, size_t size) {
  if (size == 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({static_cast<const unsigned char*>(data), size});
    added_ += size;
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  }
  cv_.notify_one();
}

void BackgroundSha256::loop() {
  for (;;) {
    Range r{};
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped and drained
      r = queue_.front();
      queue_.pop_front();
    }
    // In slices, so a stop does not wait for a whole large range.
    constexpr size_t kSlice = size_t{4} << 20;
    for (size_t off = 0; off < r.n; off += kSlice) {
      sha_.update(r.p + off, std::min(kSlice, r.n - off));
      std::lock_guard<std::mutex> lock(mu_);
      if (abandon_) {
        drained_.notify_all();
        return;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      hashed_ += r.n;
    }
    drained_.notify_all();
  }
}

void BackgroundSha256::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  drained_.wait(lock, [&] { return hashed_ == added_ || abandon_; });
}

std::string BackgroundSha256::hex() {
  if (!digest_.empty()) return digest_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;  // drain what is queued, then end
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  digest_ = sha_.hex();
  return digest_;
}

}  // namespace rk
