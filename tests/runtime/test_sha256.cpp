// Rekindle tests: the snapshot fingerprint's SHA-256 (runtime/sha256.h): the background hash
// against the one-thread hash and a known answer, ranges in slices, a dropped queue, and drain()
// (the CSV scanner reuses its buffer once the hash has drained it).
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <string>

#include "runtime/sha256.h"

TEST_CASE("sha256: the background hash equals the one-thread hash, in slices, or is dropped",
          "[sha256]") {
  // 9 MiB + 5 bytes in uneven ranges: the thread hashes them in slices, in the order added.
  std::string data(9 * 1024 * 1024 + 5, '\0');
  std::mt19937_64 rng(7);
  for (char& c : data) c = static_cast<char>(rng());
  rk::Sha256 one;
  one.update(data.data(), data.size());
  const std::string digest = one.hex();
  CHECK(digest.size() == 64);
  rk::BackgroundSha256 bg;
  size_t off = 0;
  for (const size_t n : {size_t{1}, size_t{4095}, size_t{5} << 20}) {
    bg.add(data.data() + off, n);
    off += n;
  }
  bg.add(data.data() + off, data.size() - off);
  CHECK(bg.bytes() == data.size());
  CHECK(bg.hex() == digest);
  CHECK(bg.hex() == digest);  // asked twice: the same digest
  {
    rk::BackgroundSha256 dropped;  // destroyed with ranges queued: returns without hashing them
    for (int i = 0; i < 64; ++i) dropped.add(data.data(), data.size());
  }
  // Known answer (FIPS 180-2, "abc").
  rk::BackgroundSha256 abc;
  abc.add("abc", 3);
  CHECK(abc.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256: after drain() the ranges added may be overwritten", "[sha256]") {
  // As the CSV scanner does: hash a buffer's bytes, drain, reuse the buffer for the next read.
  std::mt19937_64 rng(11);
  std::string whole;
  std::string buffer(1 << 20, '\0');
  rk::BackgroundSha256 bg;
  for (int round = 0; round < 9; ++round) {
    const size_t n = buffer.size() - static_cast<size_t>(round) * 1000;
    for (size_t i = 0; i < n; ++i) buffer[i] = static_cast<char>(rng());
    whole.append(buffer.data(), n);
    bg.add(buffer.data(), n / 3);  // two ranges of one read
    bg.add(buffer.data() + n / 3, n - n / 3);
    bg.drain();
  }
  rk::Sha256 one;
  one.update(whole.data(), whole.size());
  CHECK(bg.bytes() == whole.size());
  CHECK(bg.hex() == one.hex());
  rk::BackgroundSha256 idle;
  idle.drain();  // nothing added: returns at once
  CHECK(idle.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
