// Rekindle executor tests: the JIT's kernel and the interpreter never read past the end of a
// column, bitmap or atom index, and never write outside [begin, end). Every buffer ends exactly at
// an inaccessible guard page (JIT code is not instrumented by sanitizers, so the MMU does the
// checking): an over-read crashes.
#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "compiler/jit/jit.h"
#include "tests/jit/jit_test_support.h"

using namespace rk;
using namespace rk::jit_test;

namespace {

// `size` bytes that end exactly where a PROT_NONE page begins.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t size) : size_(size) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t data_pages = (size + page - 1) / page;
    length_ = (data_pages + 1) * page;
    void* m = mmap(nullptr, length_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(m != MAP_FAILED);
    map_ = static_cast<uint8_t*>(m);
    REQUIRE(mprotect(map_ + data_pages * page, page, PROT_NONE) == 0);
    data_ = map_ + data_pages * page - size;
    std::memset(data_, 0, size);
  }
  ~GuardedBuffer() { munmap(map_, length_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;
  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  size_t size_;
  size_t length_ = 0;
  uint8_t* map_ = nullptr;
  uint8_t* data_ = nullptr;
};

}  // namespace

TEST_CASE("No read past any buffer and no write outside the row range", "[jit][interp][bounds]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t i = pb.column(pb.field("i", FieldType::Int));
  uint32_t d = pb.column(pb.field("d", FieldType::Date));
  uint32_t x = pb.column(pb.field("x", FieldType::Money));
  uint32_t b = pb.column(pb.field("b", FieldType::Bool));
  uint32_t a = pb.atom_node(pb.atom());
  uint32_t sum = pb.node(Op::Add, Ty::Int, {i, d});
  uint32_t big = pb.node(Op::Gt, Ty::Bool, {x, pb.const_float(1.5)});
  pb.output(pb.node(Op::And, Ty::Bool, {pb.node(Op::Or, Ty::Bool, {b, big}), a}));
  pb.output(pb.node(Op::Coalesce, Ty::Int, {sum, pb.const_int(7)}));
  auto exec = make_executor(engine, pb.program);

  for (int64_t n : {1, 2, 7, 8, 9, 63, 64, 65, 127, 128, 129, 200, 1000}) {
    INFO("rows " << n);
    const size_t bitmap = static_cast<size_t>((n + 7) / 8);
    GuardedBuffer iv(8 * n), ivalid(bitmap), dv(4 * n), dvalid(bitmap), xv(8 * n), xvalid(bitmap),
        bv(bitmap), bvalid(bitmap), aindex(4 * n), avalid(bitmap), table(1);
    for (int64_t r = 0; r < n; ++r) {
      reinterpret_cast<int64_t*>(iv.data())[r] = r % 50;
      reinterpret_cast<int32_t*>(dv.data())[r] = static_cast<int32_t>(r % 5);
      reinterpret_cast<double*>(xv.data())[r] = static_cast<double>(r % 4);
      reinterpret_cast<int32_t*>(aindex.data())[r] = 0;
      for (GuardedBuffer* v : {&ivalid, &dvalid, &xvalid, &bvalid, &avalid})
        if ((r * 7 + 3) % 5 != 0) v->data()[r >> 3] |= static_cast<uint8_t>(1u << (r & 7));
      if (r % 2) bv.data()[r >> 3] |= static_cast<uint8_t>(1u << (r & 7));
    }
    table.data()[0] = 1;
    RkColumn cols[4] = {};
    cols[0].values = iv.data();
    cols[0].validity = ivalid.data();
    cols[1].values = dv.data();
    cols[1].validity = dvalid.data();
    cols[2].values = xv.data();
    cols[2].validity = xvalid.data();
    cols[3].values = bv.data();
    cols[3].validity = bvalid.data();
    RkAtom atom{reinterpret_cast<const int32_t*>(aindex.data()), table.data(), avalid.data()};
    RkBatchView view{cols, &atom, n, 0, 0};

    GuardedBuffer o0(static_cast<size_t>(n)), o1(static_cast<size_t>(n));
    for (int64_t begin : {int64_t{0}, int64_t{1}, n / 2, n - 1})
      for (int64_t end : {n, n - 1, begin + 1}) {
        if (begin < 0 || end > n || begin >= end) continue;
        std::memset(o0.data(), 99, static_cast<size_t>(n));
        std::memset(o1.data(), 99, static_cast<size_t>(n));
        int8_t* outs[2] = {reinterpret_cast<int8_t*>(o0.data()),
                           reinterpret_cast<int8_t*>(o1.data())};
        RkResultView results{outs, n};
        exec->run(view, results, begin, end);
        for (int64_t r = 0; r < n; ++r) {
          if (r >= begin && r < end) continue;
          CHECK(outs[0][r] == 99);
          CHECK(outs[1][r] == 99);
        }
        for (int64_t r = begin; r < end; ++r) CHECK(outs[1][r] != 99);
      }
  }
}
