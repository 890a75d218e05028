// Rekindle JIT: code generation of one part of a kernel (kernel_plan.h) as one LLVM function. A
// part walks rows in blocks of 64 (one validity word per bitmap per block, loaded outside the row
// loop) and each block in groups of L rows, L = the host's 64-bit vector lanes: the code is
// vector code from the start (no loop vectorizer), every node a (value, present) vector pair
// computed with selects only, no branches and no calls. It implements the semantics of
// compiler/ir/semantics.h (the interpreter's), which the differential tests check.
#include "compiler/jit/kernel_codegen.h"

#include <llvm/IR/BasicBlock.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "compiler/ir/batch_abi.h"
#include "compiler/jit/kernel_plan.h"
#include "compiler/jit/llvm_compat.h"

namespace rk::jit {

using ir::Node;
using ir::Op;
using ir::Ty;

namespace {

// How far ahead of the current group the row loop prefetches its columns (see build()).
constexpr int64_t kPrefetchRows = 512;

// A node's value for one group of rows: `v` is <L x i1> (Bool), <L x i64> (Int) or <L x double>
// (Float); `p` is <L x i1>. A Bool is normalized: `v` is false where `p` is (so "present and
// true" is `v` alone, and "present and false" is p ^ v); Int and Float values are arbitrary
// where missing.
struct Val {
  llvm::Value* v = nullptr;
  llvm::Value* p = nullptr;
};

// One bit-packed bitmap read per block: a validity bitmap (may be null at run time) or a Bool
// column's values.
struct Bitmap {
  llvm::Value* base = nullptr;  // const uint8_t*
  llvm::Value* has = nullptr;   // i1: base != null
  llvm::Value* word = nullptr;  // per block: the 64 bits of rows [64b, 64b + 64)
};

struct ColumnState {
  FieldType type = FieldType::Int;
  llvm::Type* elem = nullptr;     // i64, i32 or double (not for Bool)
  llvm::Value* values = nullptr;  // typed values pointer
  int validity = -1;              // Bitmap index
  int bits = -1;                  // Bitmap index of the values (Bool columns)
  Val row;                        // per group
};

struct AtomState {
  llvm::Value* table = nullptr;  // const uint8_t*: one byte per row (the caller gathers
                                 // dictionary atoms into per-row tables first)
  int validity = -1;
  Val row;  // per group
};

// Builds one part of a kernel (kernel_plan.h) as a function
//   void part(const RkBatchView* batch, const RkResultView* results, i64 first_block,
//             i64 end_block, u8* scratch)
// which walks blocks [first_block, end_block) of 64 rows and each block in groups of L rows
// (L = the host's vector lanes of 64 bits), computing every node as a vector (value, present)
// pair with selects only.
class PartBuilder {
 public:
  PartBuilder(const ir::Program& program, const KernelPlan& plan, size_t part,
              llvm::LLVMContext& ctx, llvm::Module& module)
      : program_(program),
        plan_(plan),
        part_(plan.parts[part]),
        ctx_(ctx),
        module_(module),
        b_(ctx),
        lanes_(compat::vector_lanes()) {
    while ((1u << log2_lanes_) < lanes_) ++log2_lanes_;
  }

  bool build(const std::string& symbol, std::string& error);

 private:
  llvm::Type* i1() { return b_.getInt1Ty(); }
  llvm::Type* i8() { return b_.getInt8Ty(); }
  llvm::Type* i32() { return b_.getInt32Ty(); }
  llvm::Type* i64() { return b_.getInt64Ty(); }
  llvm::Type* f64() { return b_.getDoubleTy(); }
  llvm::Type* u8p() { return compat::pointer_to(i8()); }
  llvm::Type* vec(llvm::Type* t) { return compat::vector_of(t, lanes_); }
  llvm::Type* scalar_ty(Ty t) { return t == Ty::Bool ? i1() : t == Ty::Int ? i64() : f64(); }
  llvm::Type* vec_ty(Ty t) { return vec(scalar_ty(t)); }
  llvm::Value* c64(int64_t v) { return b_.getInt64(static_cast<uint64_t>(v)); }
  llvm::Constant* splat(llvm::Constant* c) { return compat::splat(c, lanes_); }
  llvm::Constant* v64(int64_t v) {
    return splat(llvm::ConstantInt::get(i64(), static_cast<uint64_t>(v)));
  }
  llvm::Constant* yes() { return splat(b_.getTrue()); }
  llvm::Constant* no() { return splat(b_.getFalse()); }

  // Logic with the folds of constant operands that the IRBuilder does not do for vectors (no
  // InstCombine runs by default, and presence is often a constant).
  static bool is_ones(llvm::Value* v) {
    auto* c = llvm::dyn_cast<llvm::Constant>(v);
    return c && c->isAllOnesValue();
  }
  static bool is_zero(llvm::Value* v) {
    auto* c = llvm::dyn_cast<llvm::Constant>(v);
    return c && c->isNullValue();
  }
  // The same operation on the same operands gives the same value (the group body is straight
  // line code, each piece dominating the next).
  using Make = llvm::Value* (PartBuilder::*)(llvm::Value*, llvm::Value*);
  llvm::Value* memo(char op, llvm::Value* a, llvm::Value* b, Make make) {
    if (a > b) std::swap(a, b);  // all three operations commute
    llvm::Value*& v = memo_[{op, a, b}];
    if (!v) v = (this->*make)(a, b);
    return v;
  }
  llvm::Value* make_and(llvm::Value* a, llvm::Value* b) { return b_.CreateAnd(a, b); }
  llvm::Value* make_or(llvm::Value* a, llvm::Value* b) { return b_.CreateOr(a, b); }
  llvm::Value* make_xor(llvm::Value* a, llvm::Value* b) { return b_.CreateXor(a, b); }
  llvm::Value* and_(llvm::Value* a, llvm::Value* b) {
    if (is_ones(a) || is_zero(b) || a == b) return b;
    if (is_ones(b) || is_zero(a)) return a;
    return memo('&', a, b, &PartBuilder::make_and);
  }
  llvm::Value* or_(llvm::Value* a, llvm::Value* b) {
    if (is_zero(a) || is_ones(b) || a == b) return b;
    if (is_zero(b) || is_ones(a)) return a;
    return memo('|', a, b, &PartBuilder::make_or);
  }
  llvm::Value* xor_(llvm::Value* a, llvm::Value* b) {
    if (is_zero(a)) return b;
    if (is_zero(b)) return a;
    if (a == b) return llvm::Constant::getNullValue(a->getType());
    return memo('^', a, b, &PartBuilder::make_xor);
  }
  llvm::Value* not_(llvm::Value* a) {
    return xor_(a, llvm::Constant::getAllOnesValue(a->getType()));
  }
  llvm::Value* select_(llvm::Value* c, llvm::Value* x, llvm::Value* y) {
    if (is_ones(c) || x == y) return x;
    if (is_zero(c)) return y;
    return b_.CreateSelect(c, x, y);
  }

  bool check_abi(std::string& error);
  void make_types();
  void set_loop_hints(llvm::BranchInst* back);
  int add_bitmap(llvm::Value* base, llvm::Value* has);
  // The L bits of `word` for the group at row offset `shift` (a multiple of L) as <L x i1>.
  llvm::Value* group_bits(llvm::Value* word, llvm::Value* shift);
  // The current group's bits of bitmap `m` as <L x i1>.
  llvm::Value* bits_of(int m);
  llvm::Value* load_vec(llvm::Type* elem, llvm::Value* base, llvm::Value* shift, unsigned align);
  void store_vec(llvm::Value* v, llvm::Value* base, llvm::Value* shift, unsigned align);
  llvm::Value* scratch_at(size_t offset);
  Val column_row(uint32_t field);
  Val atom_row(uint32_t atom);
  Val slot_row(uint32_t node);
  Val value_of(uint32_t id);
  // The value of node `n` from its operands' values (leaves: from the entry block's loads).
  Val compute(const Node& n);
  Val arith(const Node& n, const Val& a, const Val& b);
  struct Predicates {
    llvm::CmpInst::Predicate f, s, u;  // on Float, on Int (signed), on Bool (unsigned, as 0/1)
  };
  Val compare(const Val& a, const Val& b, const Predicates& pred);
  std::optional<Val> fold_range(const Node& n);
  // Whether node `id` can be read in this part without a new plan entry: a constant, a column,
  // atom or as-of the part loads, a node this part has computed (its own or a copy of a cheap node
  // of an earlier part), or a node it reads from the scratch buffer (KernelPart::loads).
  bool available(uint32_t id) const;
  // Forgets the values read in the current piece of the group body (columns, atoms, slots of
  // earlier parts) and the memoized logic: the next piece reads them again (cheap loads)
  // instead of keeping them live across pieces, where hundreds of long live ranges would cost
  // the register allocator superlinear time.
  void forget_reads();
  void store_output(size_t i, const Val& r);
  void store_slot(uint32_t id, const Val& r);

  const ir::Program& program_;
  const KernelPlan& plan_;
  const KernelPart& part_;
  llvm::LLVMContext& ctx_;
  llvm::Module& module_;
  llvm::IRBuilder<> b_;
  const unsigned lanes_;
  unsigned log2_lanes_ = 0;

  llvm::StructType* column_ty_ = nullptr;
  llvm::StructType* atom_ty_ = nullptr;
  llvm::StructType* batch_ty_ = nullptr;
  llvm::StructType* results_ty_ = nullptr;
  llvm::GlobalVariable* all_ones_ = nullptr;   // i64 -1: the bitmap of a null validity
  llvm::GlobalVariable* zero_byte_ = nullptr;  // i8 0: what a missing atom row reads

  std::vector<Bitmap> bitmaps_;
  std::map<uint32_t, ColumnState> columns_;
  std::map<uint32_t, AtomState> atoms_;
  llvm::Value* as_of_ = nullptr;            // <L x i64>
  llvm::Value* scratch_ = nullptr;          // u8*
  llvm::Value* slot_base_ = nullptr;        // per block: its first row in a slot
  llvm::Value* shift_ = nullptr;            // per group: its first row in the block
  std::unordered_map<uint32_t, Val> vals_;  // per node, for the current group
  std::map<std::tuple<char, llvm::Value*, llvm::Value*>, llvm::Value*> memo_;  // see memo()
  llvm::Value* row_ = nullptr;        // per group: its first row (64b + shift)
  llvm::Value* out_array_ = nullptr;  // results->outputs
  std::unordered_map<uint32_t, std::vector<size_t>> outputs_of_;  // node -> part_.outputs indices
  std::string internal_error_;  // set by slot_row() on a node without a slot; fails build()
};

bool PartBuilder::check_abi(std::string& error) {
  const llvm::DataLayout& dl = module_.getDataLayout();
  if (!dl.isLittleEndian()) {
    error = "the JIT kernels assume a little-endian host";
    return false;
  }
  struct Check {
    llvm::StructType* ty;
    size_t size;
    std::vector<size_t> offsets;
  };
  const Check checks[] = {
      {column_ty_,
       sizeof(RkColumn),
       {offsetof(RkColumn, validity), offsetof(RkColumn, values), offsetof(RkColumn, offsets),
        offsetof(RkColumn, data), offsetof(RkColumn, child_codes), offsetof(RkColumn, dict),
        offsetof(RkColumn, encoding), offsetof(RkColumn, reserved)}},
      {atom_ty_,
       sizeof(RkAtom),
       {offsetof(RkAtom, index), offsetof(RkAtom, table), offsetof(RkAtom, validity)}},
      {batch_ty_,
       sizeof(RkBatchView),
       {offsetof(RkBatchView, columns), offsetof(RkBatchView, atoms),
        offsetof(RkBatchView, num_rows), offsetof(RkBatchView, as_of),
        offsetof(RkBatchView, reserved)}},
      {results_ty_,
       sizeof(RkResultView),
       {offsetof(RkResultView, outputs), offsetof(RkResultView, num_rows)}},
  };
  for (const Check& c : checks) {
    const llvm::StructLayout* layout = dl.getStructLayout(c.ty);
    bool ok = layout->getSizeInBytes() == c.size;
    for (size_t i = 0; ok && i < c.offsets.size(); ++i)
      ok = layout->getElementOffset(static_cast<unsigned>(i)) == c.offsets[i];
    if (!ok) {
      error = "the JIT's view of the batch ABI does not match the host compiler's layout";
      return false;
    }
  }
  return true;
}

void PartBuilder::make_types() {
  llvm::Type* i32p = compat::pointer_to(i32());
  column_ty_ = llvm::StructType::create(
      ctx_, {u8p(), u8p(), u8p(), u8p(), i32p, u8p(), i32(), i32()}, "RkColumn");
  atom_ty_ = llvm::StructType::create(ctx_, {i32p, u8p(), u8p()}, "RkAtom");
  batch_ty_ = llvm::StructType::create(
      ctx_, {compat::pointer_to(column_ty_), compat::pointer_to(atom_ty_), i64(), i32(), i32()},
      "RkBatchView");
  results_ty_ = llvm::StructType::create(ctx_, {compat::pointer_to(u8p()), i64()}, "RkResultView");

  auto constant = [&](llvm::Constant* init, const char* name) {
    auto* g = new llvm::GlobalVariable(module_, init->getType(), /*isConstant=*/true,
                                       llvm::GlobalValue::PrivateLinkage, init, name);
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    g->setAlignment(llvm::Align(8));
    return g;
  };
  all_ones_ = constant(llvm::ConstantInt::get(i64(), ~uint64_t{0}), "rk_all_ones");
  zero_byte_ = constant(llvm::ConstantInt::get(i8(), 0), "rk_zero_byte");
}

// No vectorizer or unroller may touch our loops (they are vector code already, or tiny); the
// metadata matters only when RK_JIT_PIPELINE=default runs the full pipeline.
void PartBuilder::set_loop_hints(llvm::BranchInst* back) {
  llvm::Metadata* no_vectorize[] = {llvm::MDString::get(ctx_, "llvm.loop.vectorize.enable"),
                                    llvm::ConstantAsMetadata::get(b_.getFalse())};
  llvm::Metadata* no_unroll[] = {llvm::MDString::get(ctx_, "llvm.loop.unroll.disable")};
  llvm::TempMDTuple self = llvm::MDNode::getTemporary(ctx_, {});
  llvm::MDNode* loop_id = llvm::MDNode::get(
      ctx_,
      {self.get(), llvm::MDNode::get(ctx_, no_vectorize), llvm::MDNode::get(ctx_, no_unroll)});
  loop_id->replaceOperandWith(0, loop_id);
  back->setMetadata(llvm::LLVMContext::MD_loop, loop_id);
}

int PartBuilder::add_bitmap(llvm::Value* base, llvm::Value* has) {
  Bitmap m;
  m.base = base;
  m.has = has;
  bitmaps_.push_back(m);
  return static_cast<int>(bitmaps_.size() - 1);
}

// Bits [shift, shift + L) of the word: with L = 8, byte shift/8 bitcast to <8 x i1> (a mask
// register move on AVX-512).
llvm::Value* PartBuilder::group_bits(llvm::Value* word, llvm::Value* shift) {
  llvm::Value* bits = b_.CreateTrunc(b_.CreateLShr(word, shift), b_.getIntNTy(lanes_));
  return b_.CreateBitCast(bits, vec(i1()));
}

llvm::Value* PartBuilder::bits_of(int m) {
  return group_bits(bitmaps_[m].word, shift_);
}

llvm::Value* PartBuilder::load_vec(llvm::Type* elem, llvm::Value* base, llvm::Value* shift,
                                   unsigned align) {
  llvm::Value* at =
      b_.CreatePointerCast(b_.CreateInBoundsGEP(elem, base, shift), compat::pointer_to(vec(elem)));
  return b_.CreateAlignedLoad(vec(elem), at, llvm::MaybeAlign(align));
}

void PartBuilder::store_vec(llvm::Value* v, llvm::Value* base, llvm::Value* shift, unsigned align) {
  llvm::Type* elem = llvm::cast<llvm::VectorType>(v->getType())->getElementType();
  llvm::Value* at = b_.CreatePointerCast(b_.CreateInBoundsGEP(elem, base, shift),
                                         compat::pointer_to(v->getType()));
  b_.CreateAlignedStore(v, at, llvm::MaybeAlign(align));
}

llvm::Value* PartBuilder::scratch_at(size_t offset) {
  return b_.CreateInBoundsGEP(i8(), scratch_, c64(static_cast<int64_t>(offset)));
}

Val PartBuilder::column_row(uint32_t field) {
  ColumnState& c = columns_.at(field);
  if (c.row.v) return c.row;
  Val r;
  r.p = c.validity >= 0 ? bits_of(c.validity) : yes();
  switch (c.type) {
    case FieldType::Bool:
      r.v = and_(bits_of(c.bits), r.p);
      break;
    case FieldType::Int:
      r.v = load_vec(i64(), c.values, row_, 8);
      break;
    case FieldType::Date:
    case FieldType::Enum:
      r.v = b_.CreateSExt(load_vec(i32(), c.values, row_, 4), vec(i64()));
      break;
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent:
      // A NaN in a Float column is missing, like every NaN Float value.
      r.v = load_vec(f64(), c.values, row_, 8);
      r.p = and_(r.p, b_.CreateFCmpORD(r.v, r.v));
      break;
    case FieldType::String:
    case FieldType::StringList:  // String and StringList columns are read through atoms only:
                                 // always missing
      r.v = llvm::Constant::getNullValue(vec_ty(ir::column_ty(c.type)));
      r.p = no();
      break;
  }
  c.row = r;
  return r;
}

Val PartBuilder::atom_row(uint32_t atom) {
  AtomState& a = atoms_.at(atom);
  if (a.row.v) return a.row;
  Val r;
  r.p = bits_of(a.validity);
  r.v = and_(b_.CreateICmpNE(load_vec(i8(), a.table, row_, 1), splat(b_.getInt8(0))), r.p);
  a.row = r;
  return r;
}

bool PartBuilder::available(uint32_t id) const {
  const Node& n = program_.nodes[id];
  // Leaves loaded in the entry block only when the part reads them.
  if (n.op == Op::Column) return columns_.count(n.index) > 0;
  if (n.op == Op::Atom) return atoms_.count(n.index) > 0;
  if (n.op == Op::AsOf) return as_of_ != nullptr;
  if (is_leaf(n.op)) return true;
  if (auto it = vals_.find(id); it != vals_.end() && it->second.v) return true;
  return std::binary_search(part_.loads.begin(), part_.loads.end(), id);
}

// A node of an earlier part, read back from its scratch slot.
Val PartBuilder::slot_row(uint32_t node) {
  if (plan_.slot_of[node] < 0) {
    // A node the plan did not materialize for this part: a code generator bug. Fail the build
    // (the caller falls back to the interpreter) rather than read an arbitrary slot.
    if (internal_error_.empty())
      internal_error_ =
          fmt::format("internal error: part reads node {} ({}), which no earlier part materializes",
                      node, ir::op_name(program_.nodes[node].op));
    return {llvm::Constant::getNullValue(vec_ty(program_.nodes[node].ty)), no()};
  }
  const ScratchSlot& s = plan_.slots[plan_.slot_of[node]];
  const Ty ty = program_.nodes[node].ty;
  llvm::Value* rows_p = b_.CreateInBoundsGEP(i8(), scratch_at(s.present_offset), slot_base_);
  Val r;
  r.p = b_.CreateICmpNE(load_vec(i8(), rows_p, shift_, 1), splat(b_.getInt8(0)));
  if (ty == Ty::Bool) {
    llvm::Value* rows_v = b_.CreateInBoundsGEP(i8(), scratch_at(s.value_offset), slot_base_);
    r.v = b_.CreateICmpNE(load_vec(i8(), rows_v, shift_, 1), splat(b_.getInt8(0)));
  } else {
    llvm::Type* elem = scalar_ty(ty);
    llvm::Value* rows_v = b_.CreateInBoundsGEP(
        elem, b_.CreatePointerCast(scratch_at(s.value_offset), compat::pointer_to(elem)),
        slot_base_);
    r.v = load_vec(elem, rows_v, shift_, 8);
  }
  return r;
}

void PartBuilder::store_slot(uint32_t id, const Val& r) {
  const ScratchSlot& s = plan_.slots[plan_.slot_of[id]];
  const Ty ty = program_.nodes[id].ty;
  llvm::Value* rows_p = b_.CreateInBoundsGEP(i8(), scratch_at(s.present_offset), slot_base_);
  store_vec(b_.CreateZExt(r.p, vec(i8())), rows_p, shift_, 1);
  if (ty == Ty::Bool) {
    llvm::Value* rows_v = b_.CreateInBoundsGEP(i8(), scratch_at(s.value_offset), slot_base_);
    store_vec(b_.CreateZExt(r.v, vec(i8())), rows_v, shift_, 1);
  } else {
    llvm::Type* elem = scalar_ty(ty);
    llvm::Value* rows_v = b_.CreateInBoundsGEP(
        elem, b_.CreatePointerCast(scratch_at(s.value_offset), compat::pointer_to(elem)),
        slot_base_);
    store_vec(r.v, rows_v, shift_, 8);
  }
}

void PartBuilder::store_output(size_t i, const Val& r) {
  // The column's pointer is loaded here, not once per call: a part may store hundreds of outputs,
  // and hoisted pointers would only be spilled (and cost the register allocator superlinear
  // time).
  llvm::Value* column =
      b_.CreateLoad(u8p(), b_.CreateInBoundsGEP(u8p(), out_array_, c64(part_.outputs[i])));
  llvm::Type* elem = llvm::cast<llvm::VectorType>(r.v->getType())->getElementType();
  const ir::OutputWidth width = program_.outputs[part_.outputs[i]].width;
  if (width != ir::OutputWidth::Code) {
    // A wide output: the int64 or double value, 0 when missing (as the interpreter writes it;
    // ir::validate guarantees the node's type matches the width).
    llvm::Type* out_ty = width == ir::OutputWidth::Int64 ? i64() : f64();
    llvm::Value* v = elem == out_ty ? r.v : llvm::Constant::getNullValue(vec(out_ty));
    v = select_(r.p, v, llvm::Constant::getNullValue(vec(out_ty)));
    llvm::Value* rows = b_.CreatePointerCast(column, compat::pointer_to(out_ty));
    store_vec(v, rows, row_, 8);
    return;
  }
  // Bool: 0/1; Int: the low byte; Float (never a Code output from the checker): 0, as the
  // interpreter writes its integer slot.
  llvm::Value* v8 = elem == i1()    ? b_.CreateZExt(r.v, vec(i8()))
                    : elem == i64() ? b_.CreateTrunc(r.v, vec(i8()))
                                    : llvm::Constant::getNullValue(vec(i8()));
  llvm::Value* out = select_(r.p, v8, splat(b_.getInt8(static_cast<uint8_t>(-1))));
  store_vec(out, column, row_, 1);
}

// Add, Sub, Mul and Div (compute() sends only these).
Val PartBuilder::arith(const Node& n, const Val& a, const Val& b) {
  llvm::Value* p = and_(a.p, b.p);
  if (n.ty == Ty::Float) {
    llvm::Value* v = nullptr;
    if (n.op == Op::Add) {
      v = b_.CreateFAdd(a.v, b.v);
    } else if (n.op == Op::Sub) {
      v = b_.CreateFSub(a.v, b.v);
    } else if (n.op == Op::Mul) {
      v = b_.CreateFMul(a.v, b.v);
    } else {  // Div
      v = b_.CreateFDiv(a.v, b.v);
      p = and_(p, b_.CreateFCmpUNE(b.v, splat(llvm::ConstantFP::get(f64(), 0.0))));
    }
    return {v, and_(p, b_.CreateFCmpORD(v, v))};
  }
  // Int: wrapping arithmetic plus an explicit overflow bit. Add and Sub use the sign-bit tests;
  // Mul uses llvm.smul.with.overflow (Div is Float only).
  llvm::Value* zero = v64(0);
  if (n.op == Op::Add) {
    llvm::Value* v = b_.CreateAdd(a.v, b.v);
    llvm::Value* ovf =
        b_.CreateICmpSLT(b_.CreateAnd(b_.CreateXor(a.v, v), b_.CreateXor(b.v, v)), zero);
    return {v, and_(p, not_(ovf))};
  }
  if (n.op == Op::Sub) {
    llvm::Value* v = b_.CreateSub(a.v, b.v);
    llvm::Value* ovf =
        b_.CreateICmpSLT(b_.CreateAnd(b_.CreateXor(a.v, b.v), b_.CreateXor(a.v, v)), zero);
    return {v, and_(p, not_(ovf))};
  }
  llvm::Function* f = compat::intrinsic(module_, llvm::Intrinsic::smul_with_overflow, {vec(i64())});
  llvm::Value* pair = b_.CreateCall(f, {a.v, b.v});
  llvm::Value* ovf = b_.CreateExtractValue(pair, 1);
  return {b_.CreateExtractValue(pair, 0), and_(p, not_(ovf))};
}

// A comparison with its predicates: ordered on Float, signed on Int, unsigned on Bool (as 0/1).
Val PartBuilder::compare(const Val& a, const Val& b, const Predicates& pred) {
  llvm::Value* p = and_(a.p, b.p);
  llvm::Type* elem = llvm::cast<llvm::VectorType>(a.v->getType())->getElementType();
  if (elem->isDoubleTy()) return {and_(b_.CreateFCmp(pred.f, a.v, b.v), p), p};
  return {and_(b_.CreateICmp(elem == i1() ? pred.u : pred.s, a.v, b.v), p), p};
}

// And(x >= lo, x <= hi) (or >, <) of one Int node and two constants, as a range check written
// with one unsigned comparison: (x - lo) <u (hi - lo + 1). ("days since ... in 60 to 89 days".)
std::optional<Val> PartBuilder::fold_range(const Node& n) {
  const auto& nodes = program_.nodes;
  // A bound of x from one comparison: {x node, lo, hi}.
  struct Bound {
    uint32_t x;
    int64_t lo, hi;
  };
  auto bound = [&](uint32_t id) -> std::optional<Bound> {
    const Node& c = nodes[id];
    if (c.args.size() != 2) return std::nullopt;
    const Node& l = nodes[c.args[0]];
    const Node& r = nodes[c.args[1]];
    if (l.ty != Ty::Int || r.op != Op::ConstInt || l.op == Op::ConstInt) return std::nullopt;
    const int64_t k = r.imm;
    if (c.op == Op::Ge) return Bound{c.args[0], k, INT64_MAX};
    if (c.op == Op::Gt) {
      if (k == INT64_MAX) return std::nullopt;
      return Bound{c.args[0], k + 1, INT64_MAX};
    }
    if (c.op == Op::Le) return Bound{c.args[0], INT64_MIN, k};
    if (c.op == Op::Lt) {
      if (k == INT64_MIN) return std::nullopt;
      return Bound{c.args[0], INT64_MIN, k - 1};
    }
    return std::nullopt;  // not a bound: Eq, Ne, or not a comparison
  };
  const auto a = bound(n.args[0]);
  const auto b = bound(n.args[1]);
  if (!a || !b || a->x != b->x) return std::nullopt;
  // The fold reads x, which is not an operand of the And: the plan (kernel_plan.cpp) makes only
  // the comparisons available to this part. When they are read back from an earlier part's
  // scratch slots, x may be neither computed here nor materialized; then the And is computed
  // from the comparisons as usual.
  if (!available(a->x)) return std::nullopt;
  const int64_t lo = std::max(a->lo, b->lo);
  const int64_t hi = std::min(a->hi, b->hi);
  if (lo > hi || (lo == INT64_MIN && hi == INT64_MAX)) return std::nullopt;
  const Val x = value_of(a->x);
  const uint64_t width = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  llvm::Value* in = b_.CreateICmpULT(b_.CreateSub(x.v, v64(lo)), v64(static_cast<int64_t>(width)));
  // Both comparisons are present exactly when x is.
  return Val{and_(in, x.p), x.p};
}

void PartBuilder::forget_reads() {
  for (auto& [field, c] : columns_) c.row = Val{};
  for (auto& [index, a] : atoms_) a.row = Val{};
  for (auto it = vals_.begin(); it != vals_.end();) {
    const Node& n = program_.nodes[it->first];
    const bool read =
        is_leaf(n.op) || std::binary_search(part_.loads.begin(), part_.loads.end(), it->first);
    it = read ? vals_.erase(it) : std::next(it);
  }
  memo_.clear();
}

Val PartBuilder::value_of(uint32_t id) {
  Val& v = vals_[id];
  if (v.v) return v;
  const Node& n = program_.nodes[id];
  v = is_leaf(n.op) ? compute(n) : slot_row(id);
  return v;
}

Val PartBuilder::compute(const Node& n) {
  auto arg = [&](size_t i) { return value_of(n.args[i]); };
  switch (n.op) {
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
      return arith(n, arg(0), arg(1));
    case Op::Neg: {
      const Val a = arg(0);
      if (n.ty == Ty::Float) {
        llvm::Value* v = b_.CreateFNeg(a.v);
        return {v, and_(a.p, b_.CreateFCmpORD(v, v))};
      }
      llvm::Value* v = b_.CreateSub(v64(0), a.v);
      return {v, and_(a.p, b_.CreateICmpNE(a.v, v64(INT64_MIN)))};
    }
    case Op::IntToFloat: {
      const Val a = arg(0);
      return {b_.CreateSIToFP(a.v, vec(f64())), a.p};
    }
    case Op::Eq:
      return compare(arg(0), arg(1),
                     {llvm::CmpInst::FCMP_OEQ, llvm::CmpInst::ICMP_EQ, llvm::CmpInst::ICMP_EQ});
    case Op::Ne:  // C++ `!=` on Float: true when unordered (NaN is never present anyway)
      return compare(arg(0), arg(1),
                     {llvm::CmpInst::FCMP_UNE, llvm::CmpInst::ICMP_NE, llvm::CmpInst::ICMP_NE});
    case Op::Lt:
      return compare(arg(0), arg(1),
                     {llvm::CmpInst::FCMP_OLT, llvm::CmpInst::ICMP_SLT, llvm::CmpInst::ICMP_ULT});
    case Op::Le:
      return compare(arg(0), arg(1),
                     {llvm::CmpInst::FCMP_OLE, llvm::CmpInst::ICMP_SLE, llvm::CmpInst::ICMP_ULE});
    case Op::Gt:
      return compare(arg(0), arg(1),
                     {llvm::CmpInst::FCMP_OGT, llvm::CmpInst::ICMP_SGT, llvm::CmpInst::ICMP_UGT});
    case Op::Ge:
      return compare(arg(0), arg(1),
                     {llvm::CmpInst::FCMP_OGE, llvm::CmpInst::ICMP_SGE, llvm::CmpInst::ICMP_UGE});
    case Op::And: {
      if (auto range = fold_range(n)) return *range;
      const Val a = arg(0);
      const Val b = arg(1);
      // Present when either is present and false, or both are present; true when both are.
      llvm::Value* p = a.p == b.p ? a.p : or_(or_(xor_(a.p, a.v), xor_(b.p, b.v)), and_(a.p, b.p));
      return {and_(a.v, b.v), p};
    }
    case Op::Or: {
      const Val a = arg(0);
      const Val b = arg(1);
      // Present when either is true, or both are present.
      llvm::Value* v = or_(a.v, b.v);
      return {v, a.p == b.p ? a.p : or_(v, and_(a.p, b.p))};
    }
    case Op::Not: {
      const Val a = arg(0);
      return {xor_(a.p, a.v), a.p};
    }
    case Op::IsMissing:
      return {not_(arg(0).p), yes()};
    case Op::IsTrue:
      return {arg(0).v, yes()};
    case Op::IsFalse: {
      const Val a = arg(0);
      return {xor_(a.p, a.v), yes()};
    }
    case Op::InMask: {
      const Val x = arg(0);
      llvm::Value* in_range = b_.CreateICmpULT(x.v, v64(64));
      llvm::Value* shifted =
          b_.CreateLShr(v64(static_cast<int64_t>(n.mask)), b_.CreateAnd(x.v, v64(63)));
      // Bit 0 as a comparison, never `trunc <L x i64> to <L x i1>`: LLVM 14's x86 back end
      // miscompiles that truncation with 128-bit vectors and no AVX-512 (docs/design.md, "LLVM 14
      // back-end workarounds").
      llvm::Value* bit = b_.CreateICmpNE(b_.CreateAnd(shifted, v64(1)), v64(0));
      return {and_(and_(in_range, bit), x.p), x.p};
    }
    case Op::If: {
      const Val c = arg(0);
      const Val t = arg(1);
      const Val e = arg(2);
      return {select_(c.v, t.v, e.v), select_(c.v, t.p, e.p)};
    }
    case Op::Coalesce: {
      const Val a = arg(0);
      const Val b = arg(1);
      return {select_(a.p, a.v, b.v), or_(a.p, b.p)};
    }
    case Op::FirstTrue: {
      llvm::Value* v = v64(0);
      llvm::Value* p = no();
      for (size_t i = n.args.size(); i-- > 0;) {
        llvm::Value* t = arg(i).v;  // present and true
        v = select_(t, v64(static_cast<int64_t>(i)), v);
        p = or_(t, p);
      }
      return {v, p};
    }
    case Op::Switch: {
      const Val index = arg(0);
      const size_t cases = n.args.size() - 1;
      llvm::Value* v = llvm::Constant::getNullValue(vec_ty(n.ty));
      llvm::Value* p = no();
      for (size_t i = cases; i-- > 0;) {
        const Val c = arg(1 + i);
        llvm::Value* hit = b_.CreateICmpEQ(index.v, v64(static_cast<int64_t>(i)));
        v = select_(hit, c.v, v);
        p = select_(hit, c.p, p);
      }
      p = and_(index.p, p);
      return {n.ty == Ty::Bool ? and_(v, p) : v, p};
    }
    // Leaves.
    case Op::ConstBool:
      return {splat(b_.getInt1(n.imm != 0)), yes()};
    case Op::ConstInt:
      return {v64(n.imm), yes()};
    case Op::ConstFloat:  // a NaN constant is missing, like every NaN Float value
      return {splat(llvm::ConstantFP::get(f64(), n.fimm)), std::isnan(n.fimm) ? no() : yes()};
    case Op::AsOf:
      return {as_of_, yes()};
    case Op::Column:
      return column_row(n.index);
    case Op::Atom:
      return atom_row(n.index);
    case Op::Null:
      break;
  }
  return {llvm::Constant::getNullValue(vec_ty(n.ty)), no()};  // Null: missing
}

bool PartBuilder::build(const std::string& symbol, std::string& error) {
  if (!compat::prepare_module(module_, error)) return false;
  make_types();
  if (!check_abi(error)) return false;
  const auto& nodes = program_.nodes;

  // void part(const RkBatchView*, const RkResultView*, i64 first_block, i64 end_block, u8* scratch)
  auto* fty = llvm::FunctionType::get(
      b_.getVoidTy(),
      {compat::pointer_to(batch_ty_), compat::pointer_to(results_ty_), i64(), i64(), u8p()}, false);
  auto* fn = llvm::Function::Create(fty, llvm::GlobalValue::ExternalLinkage, symbol, module_);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  compat::set_host_attributes(*fn);
  for (unsigned i : {0u, 1u, 4u}) {
    fn->addParamAttr(i, llvm::Attribute::NoAlias);
    fn->addParamAttr(i, llvm::Attribute::NoCapture);
    if (i < 2) fn->addParamAttr(i, llvm::Attribute::ReadOnly);
  }
  llvm::Argument* batch = fn->getArg(0);
  llvm::Argument* results = fn->getArg(1);
  llvm::Argument* first_block = fn->getArg(2);
  llvm::Argument* end_block = fn->getArg(3);
  scratch_ = fn->getArg(4);
  batch->setName("batch");
  results->setName("results");
  first_block->setName("first_block");
  end_block->setName("end_block");
  scratch_->setName("scratch");

  auto* entry = llvm::BasicBlock::Create(ctx_, "entry", fn);
  auto* outer = llvm::BasicBlock::Create(ctx_, "block", fn);
  auto* group = llvm::BasicBlock::Create(ctx_, "group", fn);
  auto* outer_latch = llvm::BasicBlock::Create(ctx_, "block.next", fn);
  auto* exit = llvm::BasicBlock::Create(ctx_, "exit", fn);

  // Entry: load every pointer the loop needs once.
  b_.SetInsertPoint(entry);
  llvm::Value* null_u8 = llvm::ConstantPointerNull::get(compat::pointer_to(i8()));
  llvm::Value* cols = b_.CreateLoad(compat::pointer_to(column_ty_),
                                    b_.CreateStructGEP(batch_ty_, batch, 0), "columns");
  llvm::Value* atoms =
      b_.CreateLoad(compat::pointer_to(atom_ty_), b_.CreateStructGEP(batch_ty_, batch, 1), "atoms");
  bool uses_as_of = false;
  auto note_leaf = [&](uint32_t id) { uses_as_of |= nodes[id].op == Op::AsOf; };
  for (uint32_t id : part_.nodes)
    for (uint32_t a : nodes[id].args) note_leaf(a);
  for (uint32_t k : part_.outputs) note_leaf(program_.outputs[k].node);
  if (uses_as_of) {
    llvm::Value* as_of = b_.CreateSExt(
        b_.CreateLoad(i32(), b_.CreateStructGEP(batch_ty_, batch, 3)), i64(), "as_of");
    as_of_ = b_.CreateVectorSplat(lanes_, as_of);
  }
  for (const uint32_t f : part_.fields) {
    ColumnState c;
    c.type = program_.schema.fields[f].type;
    if (c.type == FieldType::String || c.type == FieldType::StringList) {
      columns_[f] = c;  // never read: always missing
      continue;
    }
    llvm::Value* col = b_.CreateInBoundsGEP(column_ty_, cols, c64(f));
    llvm::Value* validity = b_.CreateLoad(u8p(), b_.CreateStructGEP(column_ty_, col, 0));
    llvm::Value* values = b_.CreateLoad(u8p(), b_.CreateStructGEP(column_ty_, col, 1));
    c.validity = add_bitmap(validity, b_.CreateICmpNE(validity, null_u8));
    switch (c.type) {
      case FieldType::Bool:
        c.bits = add_bitmap(values, b_.getTrue());
        break;
      case FieldType::Int:
        c.elem = i64();
        break;
      case FieldType::Date:
      case FieldType::Enum:
        c.elem = i32();
        break;
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent:
        c.elem = f64();
        break;
      case FieldType::String:
      case FieldType::StringList:
        break;  // read through atoms only (column_row: always missing)
    }
    if (c.elem) c.values = b_.CreatePointerCast(values, compat::pointer_to(c.elem));
    columns_[f] = c;
  }
  for (const uint32_t index : part_.atoms) {
    AtomState a;
    llvm::Value* at = b_.CreateInBoundsGEP(atom_ty_, atoms, c64(index));
    a.table = b_.CreateLoad(u8p(), b_.CreateStructGEP(atom_ty_, at, 1));
    llvm::Value* validity = b_.CreateLoad(u8p(), b_.CreateStructGEP(atom_ty_, at, 2));
    a.validity = add_bitmap(validity, b_.CreateICmpNE(validity, null_u8));
    atoms_[index] = a;
  }
  if (!part_.outputs.empty())
    out_array_ =
        b_.CreateLoad(compat::pointer_to(u8p()), b_.CreateStructGEP(results_ty_, results, 0));
  llvm::Value* all_ones = b_.CreatePointerCast(all_ones_, u8p());
  b_.CreateCondBr(b_.CreateICmpSLT(first_block, end_block), outer, exit);

  // Blocks b in [first_block, end_block): rows [64b, 64b + 64), all inside the caller's range
  // (the caller stages a range's partial first and last block as a block of their own).
  b_.SetInsertPoint(outer);
  llvm::PHINode* blk = b_.CreatePHI(i64(), 2, "b");
  blk->addIncoming(first_block, entry);
  llvm::Value* base = b_.CreateShl(blk, 6, "base");
  // One word per bitmap; a null validity reads the constant all-ones word.
  llvm::Value* byte_offset = b_.CreateShl(blk, 3);
  for (Bitmap& m : bitmaps_) {
    llvm::Value* at = b_.CreateSelect(m.has, b_.CreateGEP(i8(), m.base, byte_offset), all_ones);
    m.word = b_.CreateAlignedLoad(i64(), b_.CreatePointerCast(at, compat::pointer_to(i64())),
                                  llvm::MaybeAlign(1));
  }
  // Rows of this block in a scratch slot: slots hold the rows of the call's blocks.
  slot_base_ = b_.CreateShl(b_.CreateSub(blk, first_block), 6, "slot.row");
  const int64_t groups = kBlockRows / lanes_;
  llvm::BasicBlock* preheader = b_.GetInsertBlock();
  b_.CreateBr(group);

  // The group loop: rows [64b + L*g, 64b + L*g + L) for g in [0, 64/L).
  b_.SetInsertPoint(group);
  llvm::PHINode* g = b_.CreatePHI(i64(), 2, "g");
  g->addIncoming(c64(0), preheader);
  shift_ = b_.CreateShl(g, log2_lanes_, "shift");
  // Columns and outputs are addressed by row from pointers loaded once per call (a per-block
  // pointer per column would only add registers to spill).
  row_ = b_.CreateAdd(base, shift_, "row");
  vals_.clear();
  memo_.clear();
  // Software prefetch of every column and atom table kPrefetchRows rows ahead: with the hardware
  // prefetcher alone, streaming a snapshot from memory ran at two thirds of the former kernel's
  // speed (which the loop vectorizer had laid out differently); with it, faster (playbook, 4M
  // rows, eval_bench back to back on a quiet machine: 115 -> 142 M rows/s on one thread, 208 ->
  // 266 on two). A prefetch never faults, so reading past a buffer's end is harmless.
  llvm::Function* prefetch = compat::intrinsic(module_, llvm::Intrinsic::prefetch, {u8p()});
  auto fetch = [&](llvm::Value* values, llvm::Type* elem) {
    llvm::Value* at = b_.CreatePointerCast(
        b_.CreateGEP(elem, values, b_.CreateAdd(row_, c64(kPrefetchRows))), u8p());
    b_.CreateCall(prefetch, {at, b_.getInt32(0), b_.getInt32(3), b_.getInt32(1)});
  };
  for (auto& [field, c] : columns_)
    if (c.values) fetch(c.values, c.elem);
  for (auto& [index, a] : atoms_) fetch(a.table, i8());
  outputs_of_.clear();
  for (size_t i = 0; i < part_.outputs.size(); ++i)
    outputs_of_[program_.outputs[part_.outputs[i]].node].push_back(i);
  // Every node is stored as soon as it is computed (outputs and slots), so few values stay live.
  // The body is cut into basic blocks of bounded weight: instruction selection, scheduling and
  // the machine combiner work per basic block and take time superlinear in its size (a 12,000
  // node body in one block costs twice as much as in blocks of 500). The branch between two
  // pieces tests `row >= 0`, always true, so no pass merges them back.
  const size_t block_weight = std::max<size_t>(1, plan_.block_weight);
  size_t in_block = 0;
  for (uint32_t id : part_.nodes) {
    in_block += 1 + nodes[id].args.size();
    if (in_block > block_weight) {
      in_block = 1 + nodes[id].args.size();
      auto* next = llvm::BasicBlock::Create(ctx_, "group.cont", fn, outer_latch);
      b_.CreateCondBr(b_.CreateICmpSGE(row_, c64(0)), next, outer_latch);
      b_.SetInsertPoint(next);
      forget_reads();
    }
    vals_[id] = compute(nodes[id]);
    if (auto it = outputs_of_.find(id); it != outputs_of_.end())
      for (size_t i : it->second) store_output(i, vals_[id]);
    if (std::binary_search(part_.stores.begin(), part_.stores.end(), id)) store_slot(id, vals_[id]);
  }
  // Outputs that are leaves (every other output is stored by the part that computes it).
  for (size_t i = 0; i < part_.outputs.size(); ++i) {
    const uint32_t id = program_.outputs[part_.outputs[i]].node;
    if (is_leaf(nodes[id].op)) store_output(i, value_of(id));
  }
  llvm::Value* g_next = b_.CreateAdd(g, c64(1), "g.next", /*HasNUW=*/true, /*HasNSW=*/true);
  g->addIncoming(g_next, b_.GetInsertBlock());
  set_loop_hints(b_.CreateCondBr(b_.CreateICmpULT(g_next, c64(groups)), group, outer_latch));

  b_.SetInsertPoint(outer_latch);
  llvm::Value* blk_next = b_.CreateAdd(blk, c64(1), "b.next", true, true);
  blk->addIncoming(blk_next, outer_latch);
  b_.CreateCondBr(b_.CreateICmpSLT(blk_next, end_block), outer, exit);

  b_.SetInsertPoint(exit);
  b_.CreateRetVoid();
  if (!internal_error_.empty()) {
    error = internal_error_;
    return false;
  }
  return compat::verify(module_, error);
}

}  // namespace

std::unique_ptr<llvm::Module> build_part_module(const ir::Program& program, const KernelPlan& plan,
                                                size_t part, const std::string& symbol,
                                                llvm::LLVMContext& context, std::string& error) {
  auto module = std::make_unique<llvm::Module>(symbol, context);
  PartBuilder builder(program, plan, part, context, *module);
  if (!builder.build(symbol, error)) return nullptr;
  return module;
}

}  // namespace rk::jit
