// Rekindle JIT: code generation of one kernel per program. The kernel walks rows in blocks of 64
// (one validity word per bitmap per block, loaded outside the row loop), and the row loop computes
// every node as a (value, present) pair with selects only, no branches and no calls, so LLVM's
// loop vectorizer can widen it. Semantics mirror the reference interpreter exactly.
#include "compiler/jit/kernel_codegen.h"

#include <llvm/IR/BasicBlock.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>

#include <fmt/format.h>
#include <cmath>
#include <cstddef>
#include <map>
#include <vector>

#include "compiler/ir/batch_abi.h"
#include "compiler/jit/llvm_compat.h"

namespace rk::jit {

using ir::Node;
using ir::Op;
using ir::Ty;

namespace {

const char* op_text(Op op) {
  switch (op) {
    case Op::ConstBool:
      return "ConstBool";
    case Op::ConstInt:
      return "ConstInt";
    case Op::ConstFloat:
      return "ConstFloat";
    case Op::Null:
      return "Null";
    case Op::AsOf:
      return "AsOf";
    case Op::Column:
      return "Column";
    case Op::Atom:
      return "Atom";
    case Op::Add:
      return "Add";
    case Op::Sub:
      return "Sub";
    case Op::Mul:
      return "Mul";
    case Op::Div:
      return "Div";
    case Op::Neg:
      return "Neg";
    case Op::IntToFloat:
      return "IntToFloat";
    case Op::Eq:
      return "Eq";
    case Op::Ne:
      return "Ne";
    case Op::Lt:
      return "Lt";
    case Op::Le:
      return "Le";
    case Op::Gt:
      return "Gt";
    case Op::Ge:
      return "Ge";
    case Op::And:
      return "And";
    case Op::Or:
      return "Or";
    case Op::Not:
      return "Not";
    case Op::IsMissing:
      return "IsMissing";
    case Op::IsTrue:
      return "IsTrue";
    case Op::IsFalse:
      return "IsFalse";
    case Op::InMask:
      return "InMask";
    case Op::If:
      return "If";
    case Op::Coalesce:
      return "Coalesce";
    case Op::FirstTrue:
      return "FirstTrue";
    case Op::Switch:
      return "Switch";
  }
  return "?";
}

// A node's value in the row loop: `v` is i1 (Bool), i64 (Int) or double (Float); `p` is i1.
struct Val {
  llvm::Value* v = nullptr;
  llvm::Value* p = nullptr;
};

// One bit-packed bitmap read per block: a validity bitmap (may be null at run time) or a Bool
// column's values.
struct Bitmap {
  llvm::Value* base = nullptr;      // const uint8_t*
  llvm::Value* has = nullptr;       // i1: base != null
  llvm::Value* safe_blk = nullptr;  // per block: base + 8*b, or @rk_all_ones when null
  llvm::Value* word = nullptr;      // per block: the 64 bits of rows [64b, 64b + 64)
};

struct ColumnState {
  FieldType type = FieldType::Int;
  llvm::Type* elem = nullptr;     // i64, i32 or double (not for Bool)
  llvm::Value* values = nullptr;  // typed values pointer
  llvm::Value* blk = nullptr;     // per block: values + 64*b
  int validity = -1;              // Bitmap index
  int bits = -1;                  // Bitmap index of the values (Bool columns)
  Val row;                        // per row (cached within the loop body)
};

struct AtomState {
  llvm::Value* index = nullptr;  // const int32_t*
  llvm::Value* has_index = nullptr;
  llvm::Value* table = nullptr;    // const uint8_t*
  llvm::Value* buffer = nullptr;   // [64 x i8] on the stack: a block of a dictionary atom
  llvm::Value* src_blk = nullptr;  // per block: the 64 row bytes (table + 64*b, or buffer)
  int validity = -1;
};

class KernelBuilder {
 public:
  KernelBuilder(const ir::Program& program, llvm::LLVMContext& ctx, llvm::Module& module)
      : program_(program), ctx_(ctx), module_(module), b_(ctx) {}

  bool build(const std::string& symbol, std::string& error);

 private:
  llvm::Type* i1() { return b_.getInt1Ty(); }
  llvm::Type* i8() { return b_.getInt8Ty(); }
  llvm::Type* i32() { return b_.getInt32Ty(); }
  llvm::Type* i64() { return b_.getInt64Ty(); }
  llvm::Type* f64() { return b_.getDoubleTy(); }
  llvm::Type* llvm_ty(Ty t) { return t == Ty::Bool ? i1() : t == Ty::Int ? i64() : f64(); }
  llvm::Value* c64(int64_t v) { return b_.getInt64(static_cast<uint64_t>(v)); }
  llvm::Value* yes() { return b_.getTrue(); }
  llvm::Value* no() { return b_.getFalse(); }

  bool check_abi(std::string& error);
  void make_types();
  void make_alias_scopes();
  llvm::Function* make_partial_word();
  llvm::Value* load_input(llvm::Type* t, llvm::Value* ptr, unsigned align);
  int add_bitmap(llvm::Value* base, llvm::Value* has);
  llvm::Value* bit(int bitmap, llvm::Value* j);
  Val column_row(uint32_t field, llvm::Value* j);
  Val atom_row(uint32_t atom, llvm::Value* j);
  Val node_row(const Node& n, const std::vector<Val>& vals, llvm::Value* j);
  Val arith(const Node& n, const Val& a, const Val& b);
  Val compare(const Node& n, const Val& a, const Val& b);

  const ir::Program& program_;
  llvm::LLVMContext& ctx_;
  llvm::Module& module_;
  llvm::IRBuilder<> b_;

  llvm::StructType* column_ty_ = nullptr;
  llvm::StructType* atom_ty_ = nullptr;
  llvm::StructType* batch_ty_ = nullptr;
  llvm::StructType* results_ty_ = nullptr;
  llvm::GlobalVariable* all_ones_ = nullptr;   // i64 -1: the bitmap of a null validity
  llvm::GlobalVariable* zero_byte_ = nullptr;  // i8 0: what a missing atom row reads

  llvm::MDNode* input_scope_ = nullptr;        // !alias.scope of every input load
  llvm::MDNode* input_noalias_ = nullptr;      // !noalias of every input load (all output scopes)
  std::vector<llvm::MDNode*> output_scope_;    // per output
  std::vector<llvm::MDNode*> output_noalias_;  // per output: input and the other outputs

  std::vector<Bitmap> bitmaps_;
  std::map<uint32_t, ColumnState> columns_;
  std::map<uint32_t, AtomState> atoms_;
  llvm::Value* as_of_ = nullptr;
};

bool KernelBuilder::check_abi(std::string& error) {
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

void KernelBuilder::make_types() {
  llvm::Type* u8p = compat::pointer_to(i8());
  llvm::Type* i32p = compat::pointer_to(i32());
  column_ty_ =
      llvm::StructType::create(ctx_, {u8p, u8p, u8p, u8p, i32p, u8p, i32(), i32()}, "RkColumn");
  atom_ty_ = llvm::StructType::create(ctx_, {i32p, u8p, u8p}, "RkAtom");
  batch_ty_ = llvm::StructType::create(
      ctx_, {compat::pointer_to(column_ty_), compat::pointer_to(atom_ty_), i64(), i32(), i32()},
      "RkBatchView");
  results_ty_ = llvm::StructType::create(ctx_, {compat::pointer_to(u8p), i64()}, "RkResultView");

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

// Every input load is in scope `input` and cannot alias any output store; every output store is
// in its own scope and cannot alias inputs or other outputs. (The runtime allocates result
// columns separately from the snapshot's buffers.) This lets the vectorizer skip run-time
// overlap checks, which would be too many for a real program.
void KernelBuilder::make_alias_scopes() {
  llvm::MDBuilder md(ctx_);
  llvm::MDNode* domain = md.createAnonymousAliasScopeDomain("rk.kernel");
  llvm::MDNode* input = md.createAnonymousAliasScope(domain, "rk.input");
  std::vector<llvm::Metadata*> outs;
  for (size_t k = 0; k < program_.outputs.size(); ++k) {
    llvm::MDNode* s = md.createAnonymousAliasScope(domain, "rk.output");
    output_scope_.push_back(llvm::MDNode::get(ctx_, {s}));
    outs.push_back(s);
  }
  input_scope_ = llvm::MDNode::get(ctx_, {input});
  input_noalias_ = llvm::MDNode::get(ctx_, outs);
  for (size_t k = 0; k < program_.outputs.size(); ++k) {
    std::vector<llvm::Metadata*> others{input};
    for (size_t m = 0; m < outs.size(); ++m)
      if (m != k) others.push_back(outs[m]);
    output_noalias_.push_back(llvm::MDNode::get(ctx_, others));
  }
}

// i64 @rk_partial_word(u8* p, i64 jlo, i64 jhi): the bytes of `p` that hold bits [jlo, jhi)
// (jlo < jhi <= 64) packed into one word; bytes outside that range read as zero. Used only for
// the first and last block of a call, so no byte past the batch's rows is ever read.
llvm::Function* KernelBuilder::make_partial_word() {
  llvm::Type* u8p = compat::pointer_to(i8());
  auto* fty = llvm::FunctionType::get(i64(), {u8p, i64(), i64()}, false);
  auto* fn =
      llvm::Function::Create(fty, llvm::GlobalValue::PrivateLinkage, "rk_partial_word", module_);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  fn->addFnAttr(llvm::Attribute::NoInline);
  fn->addFnAttr(llvm::Attribute::ReadOnly);
  fn->addFnAttr(llvm::Attribute::ArgMemOnly);
  llvm::Argument* p = fn->getArg(0);
  llvm::Argument* jlo = fn->getArg(1);
  llvm::Argument* jhi = fn->getArg(2);
  auto* entry = llvm::BasicBlock::Create(ctx_, "entry", fn);
  auto* loop = llvm::BasicBlock::Create(ctx_, "loop", fn);
  auto* done = llvm::BasicBlock::Create(ctx_, "done", fn);
  llvm::IRBuilder<> b(entry);
  llvm::Value* first = b.CreateLShr(jlo, 3);
  llvm::Value* last = b.CreateLShr(b.CreateSub(jhi, b.getInt64(1)), 3);
  b.CreateBr(loop);
  b.SetInsertPoint(loop);
  llvm::PHINode* k = b.CreatePHI(i64(), 2, "k");
  llvm::PHINode* w = b.CreatePHI(i64(), 2, "w");
  k->addIncoming(first, entry);
  w->addIncoming(b.getInt64(0), entry);
  llvm::Value* byte = b.CreateLoad(i8(), b.CreateGEP(i8(), p, k));
  llvm::Value* w2 = b.CreateOr(w, b.CreateShl(b.CreateZExt(byte, i64()), b.CreateShl(k, 3)));
  llvm::Value* k2 = b.CreateAdd(k, b.getInt64(1));
  k->addIncoming(k2, loop);
  w->addIncoming(w2, loop);
  llvm::BranchInst* back = b.CreateCondBr(b.CreateICmpULE(k2, last), loop, done);
  // At most 8 iterations: keep it a plain scalar loop.
  llvm::Metadata* no_vectorize[] = {llvm::MDString::get(ctx_, "llvm.loop.vectorize.enable"),
                                    llvm::ConstantAsMetadata::get(b.getFalse())};
  llvm::Metadata* no_unroll[] = {llvm::MDString::get(ctx_, "llvm.loop.unroll.disable")};
  llvm::TempMDTuple self = llvm::MDNode::getTemporary(ctx_, {});
  llvm::MDNode* loop_id = llvm::MDNode::get(
      ctx_,
      {self.get(), llvm::MDNode::get(ctx_, no_vectorize), llvm::MDNode::get(ctx_, no_unroll)});
  loop_id->replaceOperandWith(0, loop_id);
  back->setMetadata(llvm::LLVMContext::MD_loop, loop_id);
  b.SetInsertPoint(done);
  b.CreateRet(w2);
  return fn;
}

llvm::Value* KernelBuilder::load_input(llvm::Type* t, llvm::Value* ptr, unsigned align) {
  llvm::LoadInst* load = b_.CreateAlignedLoad(t, ptr, llvm::MaybeAlign(align));
  load->setMetadata(llvm::LLVMContext::MD_alias_scope, input_scope_);
  load->setMetadata(llvm::LLVMContext::MD_noalias, input_noalias_);
  return load;
}

int KernelBuilder::add_bitmap(llvm::Value* base, llvm::Value* has) {
  Bitmap m;
  m.base = base;
  m.has = has;
  bitmaps_.push_back(m);
  return static_cast<int>(bitmaps_.size() - 1);
}

// Bit j (0 <= j < 64) of a bitmap's block word.
llvm::Value* KernelBuilder::bit(int bitmap, llvm::Value* j) {
  return b_.CreateTrunc(b_.CreateLShr(bitmaps_[bitmap].word, j), i1());
}

Val KernelBuilder::column_row(uint32_t field, llvm::Value* j) {
  ColumnState& c = columns_.at(field);
  if (c.row.v) return c.row;
  Val r;
  if (c.validity >= 0) r.p = bit(c.validity, j);
  switch (c.type) {
    case FieldType::Bool:
      r.v = bit(c.bits, j);
      break;
    case FieldType::Int:
      r.v = load_input(i64(), b_.CreateInBoundsGEP(i64(), c.blk, j), 8);
      break;
    case FieldType::Date:
    case FieldType::Enum:
      r.v = b_.CreateSExt(load_input(i32(), b_.CreateInBoundsGEP(i32(), c.blk, j), 4), i64());
      break;
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent:
      // A NaN in a Float column is missing, like every NaN Float value.
      r.v = load_input(f64(), b_.CreateInBoundsGEP(f64(), c.blk, j), 8);
      r.p = b_.CreateAnd(r.p, b_.CreateFCmpORD(r.v, r.v));
      break;
    default:  // String and StringList columns are read through atoms only: always missing
      r.v = llvm::Constant::getNullValue(llvm_ty(ir::column_ty(c.type)));
      r.p = no();
      break;
  }
  c.row = r;
  return r;
}

Val KernelBuilder::atom_row(uint32_t atom, llvm::Value* j) {
  AtomState& a = atoms_.at(atom);
  Val r;
  r.p = bit(a.validity, j);
  // The block's row bytes: a consecutive load (the per-row table, or the block gathered from a
  // dictionary table before the row loop).
  r.v =
      b_.CreateICmpNE(load_input(i8(), b_.CreateInBoundsGEP(i8(), a.src_blk, j), 1), b_.getInt8(0));
  return r;
}

Val KernelBuilder::arith(const Node& n, const Val& a, const Val& b) {
  llvm::Value* p = b_.CreateAnd(a.p, b.p);
  if (n.ty == Ty::Float) {
    llvm::Value* v = nullptr;
    switch (n.op) {
      case Op::Add:
        v = b_.CreateFAdd(a.v, b.v);
        break;
      case Op::Sub:
        v = b_.CreateFSub(a.v, b.v);
        break;
      case Op::Mul:
        v = b_.CreateFMul(a.v, b.v);
        break;
      default:
        v = b_.CreateFDiv(a.v, b.v);
        p = b_.CreateAnd(p, b_.CreateFCmpUNE(b.v, llvm::ConstantFP::get(f64(), 0.0)));
        break;
    }
    return {v, b_.CreateAnd(p, b_.CreateFCmpORD(v, v))};
  }
  // Int: wrapping arithmetic plus an explicit overflow bit. Add and Sub use the sign-bit tests
  // (vectorizable; the *.with.overflow intrinsics would stop the loop vectorizer); Mul uses
  // llvm.smul.with.overflow.
  llvm::Value* zero = c64(0);
  switch (n.op) {
    case Op::Add: {
      llvm::Value* v = b_.CreateAdd(a.v, b.v);
      llvm::Value* ovf =
          b_.CreateICmpSLT(b_.CreateAnd(b_.CreateXor(a.v, v), b_.CreateXor(b.v, v)), zero);
      return {v, b_.CreateAnd(p, b_.CreateNot(ovf))};
    }
    case Op::Sub: {
      llvm::Value* v = b_.CreateSub(a.v, b.v);
      llvm::Value* ovf =
          b_.CreateICmpSLT(b_.CreateAnd(b_.CreateXor(a.v, b.v), b_.CreateXor(a.v, v)), zero);
      return {v, b_.CreateAnd(p, b_.CreateNot(ovf))};
    }
    default: {
      llvm::Function* f = compat::intrinsic(module_, llvm::Intrinsic::smul_with_overflow, {i64()});
      llvm::Value* pair = b_.CreateCall(f, {a.v, b.v});
      llvm::Value* ovf = b_.CreateExtractValue(pair, 1);
      return {b_.CreateExtractValue(pair, 0), b_.CreateAnd(p, b_.CreateNot(ovf))};
    }
  }
}

Val KernelBuilder::compare(const Node& n, const Val& a, const Val& b) {
  llvm::Value* p = b_.CreateAnd(a.p, b.p);
  llvm::Value* x = a.v;
  llvm::Value* y = b.v;
  if (x->getType()->isDoubleTy()) {
    llvm::CmpInst::Predicate pred = llvm::CmpInst::FCMP_OEQ;
    switch (n.op) {
      case Op::Eq:
        pred = llvm::CmpInst::FCMP_OEQ;
        break;
      case Op::Ne:
        pred = llvm::CmpInst::FCMP_UNE;
        break;  // C++ `!=`: true when unordered
      case Op::Lt:
        pred = llvm::CmpInst::FCMP_OLT;
        break;
      case Op::Le:
        pred = llvm::CmpInst::FCMP_OLE;
        break;
      case Op::Gt:
        pred = llvm::CmpInst::FCMP_OGT;
        break;
      default:
        pred = llvm::CmpInst::FCMP_OGE;
        break;
    }
    return {b_.CreateFCmp(pred, x, y), p};
  }
  if (x->getType() == i1()) {  // Bool operands compare as 0/1
    x = b_.CreateZExt(x, i64());
    y = b_.CreateZExt(y, i64());
  }
  llvm::CmpInst::Predicate pred = llvm::CmpInst::ICMP_EQ;
  switch (n.op) {
    case Op::Eq:
      pred = llvm::CmpInst::ICMP_EQ;
      break;
    case Op::Ne:
      pred = llvm::CmpInst::ICMP_NE;
      break;
    case Op::Lt:
      pred = llvm::CmpInst::ICMP_SLT;
      break;
    case Op::Le:
      pred = llvm::CmpInst::ICMP_SLE;
      break;
    case Op::Gt:
      pred = llvm::CmpInst::ICMP_SGT;
      break;
    default:
      pred = llvm::CmpInst::ICMP_SGE;
      break;
  }
  return {b_.CreateICmp(pred, x, y), p};
}

Val KernelBuilder::node_row(const Node& n, const std::vector<Val>& vals, llvm::Value* j) {
  auto arg = [&](size_t i) -> const Val& { return vals[n.args[i]]; };
  switch (n.op) {
    case Op::ConstBool:
      return {b_.getInt1(n.imm != 0), yes()};
    case Op::ConstInt:
      return {c64(n.imm), yes()};
    case Op::ConstFloat:  // a NaN constant is missing, like every NaN Float value
      return {llvm::ConstantFP::get(f64(), n.fimm), std::isnan(n.fimm) ? no() : yes()};
    case Op::Null:
      return {llvm::Constant::getNullValue(llvm_ty(n.ty)), no()};
    case Op::AsOf:
      return {as_of_, yes()};
    case Op::Column:
      return column_row(n.index, j);
    case Op::Atom:
      return atom_row(n.index, j);
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
      return arith(n, arg(0), arg(1));
    case Op::Neg: {
      const Val& a = arg(0);
      if (n.ty == Ty::Float) {
        llvm::Value* v = b_.CreateFNeg(a.v);
        return {v, b_.CreateAnd(a.p, b_.CreateFCmpORD(v, v))};
      }
      llvm::Value* v = b_.CreateSub(c64(0), a.v);
      return {v, b_.CreateAnd(a.p, b_.CreateICmpNE(a.v, c64(INT64_MIN)))};
    }
    case Op::IntToFloat:
      return {b_.CreateSIToFP(arg(0).v, f64()), arg(0).p};
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
      return compare(n, arg(0), arg(1));
    case Op::And: {
      const Val& a = arg(0);
      const Val& b = arg(1);
      llvm::Value* a_false = b_.CreateAnd(a.p, b_.CreateNot(a.v));
      llvm::Value* b_false = b_.CreateAnd(b.p, b_.CreateNot(b.v));
      llvm::Value* any_false = b_.CreateOr(a_false, b_false);
      llvm::Value* both = b_.CreateAnd(a.p, b.p);
      return {b_.CreateAnd(both, b_.CreateAnd(a.v, b.v)), b_.CreateOr(any_false, both)};
    }
    case Op::Or: {
      const Val& a = arg(0);
      const Val& b = arg(1);
      llvm::Value* any_true = b_.CreateOr(b_.CreateAnd(a.p, a.v), b_.CreateAnd(b.p, b.v));
      return {any_true, b_.CreateOr(any_true, b_.CreateAnd(a.p, b.p))};
    }
    case Op::Not:
      return {b_.CreateNot(arg(0).v), arg(0).p};
    case Op::IsMissing:
      return {b_.CreateNot(arg(0).p), yes()};
    case Op::IsTrue:
      return {b_.CreateAnd(arg(0).p, arg(0).v), yes()};
    case Op::IsFalse:
      return {b_.CreateAnd(arg(0).p, b_.CreateNot(arg(0).v)), yes()};
    case Op::InMask: {
      const Val& x = arg(0);
      llvm::Value* in_range = b_.CreateICmpULT(x.v, c64(64));
      llvm::Value* shifted =
          b_.CreateLShr(c64(static_cast<int64_t>(n.mask)), b_.CreateAnd(x.v, c64(63)));
      return {b_.CreateAnd(in_range, b_.CreateTrunc(shifted, i1())), x.p};
    }
    case Op::If: {
      llvm::Value* c = b_.CreateAnd(arg(0).p, arg(0).v);
      return {b_.CreateSelect(c, arg(1).v, arg(2).v), b_.CreateSelect(c, arg(1).p, arg(2).p)};
    }
    case Op::Coalesce: {
      const Val& a = arg(0);
      const Val& b = arg(1);
      return {b_.CreateSelect(a.p, a.v, b.v), b_.CreateOr(a.p, b.p)};
    }
    case Op::FirstTrue: {
      llvm::Value* v = c64(0);
      llvm::Value* p = no();
      for (size_t i = n.args.size(); i-- > 0;) {
        llvm::Value* t = b_.CreateAnd(arg(i).p, arg(i).v);
        v = b_.CreateSelect(t, c64(static_cast<int64_t>(i)), v);
        p = b_.CreateOr(t, p);
      }
      return {v, p};
    }
    case Op::Switch: {
      const Val& index = arg(0);
      const size_t cases = n.args.size() - 1;
      llvm::Value* v = llvm::Constant::getNullValue(llvm_ty(n.ty));
      llvm::Value* p = no();
      for (size_t i = cases; i-- > 0;) {
        llvm::Value* hit = b_.CreateICmpEQ(index.v, c64(static_cast<int64_t>(i)));
        v = b_.CreateSelect(hit, arg(1 + i).v, v);
        p = b_.CreateSelect(hit, arg(1 + i).p, p);
      }
      return {v, b_.CreateAnd(index.p, p)};
    }
  }
  return {llvm::Constant::getNullValue(llvm_ty(n.ty)), no()};
}

bool KernelBuilder::build(const std::string& symbol, std::string& error) {
  if (!compat::prepare_module(module_, error)) return false;
  make_types();
  if (!check_abi(error)) return false;
  make_alias_scopes();
  llvm::Function* partial_word = make_partial_word();

  // void kernel(const RkBatchView* batch, const RkResultView* results, i64 begin, i64 end)
  auto* fty = llvm::FunctionType::get(
      b_.getVoidTy(),
      {compat::pointer_to(batch_ty_), compat::pointer_to(results_ty_), i64(), i64()}, false);
  auto* fn = llvm::Function::Create(fty, llvm::GlobalValue::ExternalLinkage, symbol, module_);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  compat::set_host_attributes(*fn);
  for (unsigned i = 0; i < 2; ++i) {
    fn->addParamAttr(i, llvm::Attribute::NoAlias);
    fn->addParamAttr(i, llvm::Attribute::NoCapture);
    fn->addParamAttr(i, llvm::Attribute::ReadOnly);
  }
  llvm::Argument* batch = fn->getArg(0);
  llvm::Argument* results = fn->getArg(1);
  llvm::Argument* begin = fn->getArg(2);
  llvm::Argument* end = fn->getArg(3);
  batch->setName("batch");
  results->setName("results");
  begin->setName("begin");
  end->setName("end");

  auto* entry = llvm::BasicBlock::Create(ctx_, "entry", fn);
  auto* outer_pre = llvm::BasicBlock::Create(ctx_, "outer.pre", fn);
  auto* outer = llvm::BasicBlock::Create(ctx_, "block", fn);
  auto* words_full = llvm::BasicBlock::Create(ctx_, "block.full", fn);
  auto* words_partial = llvm::BasicBlock::Create(ctx_, "block.partial", fn);
  auto* words_done = llvm::BasicBlock::Create(ctx_, "block.words", fn);
  auto* inner = llvm::BasicBlock::Create(ctx_, "row", fn);
  auto* outer_latch = llvm::BasicBlock::Create(ctx_, "block.next", fn);
  auto* exit = llvm::BasicBlock::Create(ctx_, "exit", fn);

  // Entry: load every pointer the loop needs once.
  b_.SetInsertPoint(entry);
  llvm::Type* u8p = compat::pointer_to(i8());
  llvm::Value* null_u8 = llvm::ConstantPointerNull::get(compat::pointer_to(i8()));
  llvm::Value* cols = b_.CreateLoad(compat::pointer_to(column_ty_),
                                    b_.CreateStructGEP(batch_ty_, batch, 0), "columns");
  llvm::Value* atoms =
      b_.CreateLoad(compat::pointer_to(atom_ty_), b_.CreateStructGEP(batch_ty_, batch, 1), "atoms");
  const auto& nodes = program_.nodes;
  for (const Node& n : nodes) {
    if (n.op == Op::AsOf && !as_of_)
      as_of_ = b_.CreateSExt(b_.CreateLoad(i32(), b_.CreateStructGEP(batch_ty_, batch, 3)), i64(),
                             "as_of");
    if (n.op == Op::Column && !columns_.count(n.index)) {
      ColumnState c;
      c.type = program_.schema.fields[n.index].type;
      llvm::Value* col = b_.CreateInBoundsGEP(column_ty_, cols, c64(n.index));
      llvm::Value* validity = b_.CreateLoad(u8p, b_.CreateStructGEP(column_ty_, col, 0));
      llvm::Value* values = b_.CreateLoad(u8p, b_.CreateStructGEP(column_ty_, col, 1));
      if (c.type != FieldType::String && c.type != FieldType::StringList)
        c.validity = add_bitmap(validity, b_.CreateICmpNE(validity, null_u8));
      switch (c.type) {
        case FieldType::Bool:
          c.bits = add_bitmap(values, yes());
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
        default:  // String, StringList: never read by the kernel
          break;
      }
      if (c.elem) c.values = b_.CreatePointerCast(values, compat::pointer_to(c.elem));
      columns_[n.index] = c;
    }
    if (n.op == Op::Atom && !atoms_.count(n.index)) {
      AtomState a;
      llvm::Value* at = b_.CreateInBoundsGEP(atom_ty_, atoms, c64(n.index));
      a.index = b_.CreateLoad(compat::pointer_to(i32()), b_.CreateStructGEP(atom_ty_, at, 0));
      a.table = b_.CreateLoad(u8p, b_.CreateStructGEP(atom_ty_, at, 1));
      llvm::Value* validity = b_.CreateLoad(u8p, b_.CreateStructGEP(atom_ty_, at, 2));
      a.has_index =
          b_.CreateICmpNE(a.index, llvm::ConstantPointerNull::get(compat::pointer_to(i32())));
      a.validity = add_bitmap(validity, b_.CreateICmpNE(validity, null_u8));
      llvm::IRBuilder<> at_entry(&fn->getEntryBlock(), fn->getEntryBlock().begin());
      a.buffer = at_entry.CreateAlloca(llvm::ArrayType::get(i8(), 64), nullptr, "atom.block");
      atoms_[n.index] = a;
    }
  }
  std::vector<llvm::Value*> outs;
  if (!program_.outputs.empty()) {
    llvm::Value* out_array =
        b_.CreateLoad(compat::pointer_to(u8p), b_.CreateStructGEP(results_ty_, results, 0));
    for (size_t k = 0; k < program_.outputs.size(); ++k)
      outs.push_back(b_.CreateLoad(u8p, b_.CreateInBoundsGEP(u8p, out_array, c64(k))));
  }
  b_.CreateCondBr(b_.CreateICmpSLT(begin, end), outer_pre, exit);

  // Blocks of 64 rows: b from begin/64 to (end-1)/64.
  b_.SetInsertPoint(outer_pre);
  llvm::Value* first_block = b_.CreateAShr(begin, 6);
  llvm::Value* last_block = b_.CreateAShr(b_.CreateSub(end, c64(1)), 6);
  b_.CreateBr(outer);

  b_.SetInsertPoint(outer);
  llvm::PHINode* blk = b_.CreatePHI(i64(), 2, "b");
  blk->addIncoming(first_block, outer_pre);
  llvm::Value* base = b_.CreateShl(blk, 6, "base");
  llvm::Value* base_end = b_.CreateAdd(base, c64(64));
  llvm::Value* lo = b_.CreateSelect(b_.CreateICmpSGT(begin, base), begin, base);
  llvm::Value* hi = b_.CreateSelect(b_.CreateICmpSLT(end, base_end), end, base_end);
  llvm::Value* jlo = b_.CreateSub(lo, base, "jlo");
  llvm::Value* jhi = b_.CreateSub(hi, base, "jhi");
  llvm::Value* full = b_.CreateAnd(b_.CreateICmpEQ(jlo, c64(0)), b_.CreateICmpEQ(jhi, c64(64)));
  llvm::Value* byte_offset = b_.CreateShl(blk, 3);
  for (Bitmap& m : bitmaps_)
    m.safe_blk = b_.CreateSelect(m.has, b_.CreateGEP(i8(), m.base, byte_offset),
                                 b_.CreatePointerCast(all_ones_, u8p));
  b_.CreateCondBr(full, words_full, words_partial);

  // A block inside [begin, end) reads whole words; the first and last block of a call read only
  // the bytes holding their rows.
  b_.SetInsertPoint(words_full);
  std::vector<llvm::Value*> full_words;
  for (Bitmap& m : bitmaps_)
    full_words.push_back(
        load_input(i64(), b_.CreatePointerCast(m.safe_blk, compat::pointer_to(i64())), 1));
  b_.CreateBr(words_done);
  b_.SetInsertPoint(words_partial);
  std::vector<llvm::Value*> partial_words;
  for (Bitmap& m : bitmaps_)
    partial_words.push_back(b_.CreateCall(partial_word, {m.safe_blk, jlo, jhi}));
  b_.CreateBr(words_done);

  b_.SetInsertPoint(words_done);
  for (size_t i = 0; i < bitmaps_.size(); ++i) {
    llvm::PHINode* w = b_.CreatePHI(i64(), 2, "word");
    w->addIncoming(full_words[i], words_full);
    w->addIncoming(partial_words[i], words_partial);
    bitmaps_[i].word = w;
  }
  for (auto& [field, c] : columns_)
    if (c.values) c.blk = b_.CreateInBoundsGEP(c.elem, c.values, base);
  std::vector<llvm::Value*> outs_blk;
  outs_blk.reserve(outs.size());
  for (llvm::Value* o : outs) outs_blk.push_back(b_.CreateInBoundsGEP(i8(), o, base));
  // Atoms: an atom without index reads its per-row table (table + 64b) in the row loop. A
  // dictionary atom first gathers its block, buffer[j] = table[index[row]], in a small loop of
  // its own, so the row loop keeps consecutive loads only. A missing row may hold any code (e.g.
  // a null's), so it stores 0 instead of reading the table.
  for (auto& [index, a] : atoms_) {
    llvm::BasicBlock* from = b_.GetInsertBlock();
    auto* gather_loop = llvm::BasicBlock::Create(ctx_, "atom.gather", fn, inner);
    auto* joined = llvm::BasicBlock::Create(ctx_, "atom.block.ready", fn, inner);
    llvm::Value* per_row = b_.CreateGEP(i8(), a.table, base);
    llvm::Value* buffer = b_.CreatePointerCast(a.buffer, u8p);
    llvm::Value* index_blk = b_.CreateGEP(i32(), a.index, base);
    b_.CreateCondBr(a.has_index, gather_loop, joined);
    b_.SetInsertPoint(gather_loop);
    llvm::PHINode* g = b_.CreatePHI(i64(), 2, "g");
    g->addIncoming(jlo, from);
    llvm::Value* present = bit(a.validity, g);
    llvm::Value* code = load_input(i32(), b_.CreateInBoundsGEP(i32(), index_blk, g), 4);
    llvm::Value* addr = b_.CreateSelect(
        present, b_.CreateGEP(i8(), a.table, b_.CreateSExt(code, i64())), zero_byte_);
    b_.CreateStore(load_input(i8(), addr, 1), b_.CreateInBoundsGEP(i8(), buffer, g));
    llvm::Value* g_next = b_.CreateAdd(g, c64(1), "g.next", true, true);
    g->addIncoming(g_next, gather_loop);
    b_.CreateCondBr(b_.CreateICmpSLT(g_next, jhi), gather_loop, joined);
    b_.SetInsertPoint(joined);
    llvm::PHINode* src = b_.CreatePHI(u8p, 2, "atom.rows");
    src->addIncoming(per_row, from);
    src->addIncoming(buffer, gather_loop);
    a.src_blk = src;
  }
  llvm::BasicBlock* preheader = b_.GetInsertBlock();
  b_.CreateBr(inner);

  // The row loop: j in [jlo, jhi), row = base + j.
  b_.SetInsertPoint(inner);
  llvm::PHINode* j = b_.CreatePHI(i64(), 2, "j");
  j->addIncoming(jlo, preheader);
  std::vector<Val> vals;
  vals.reserve(nodes.size());
  for (const Node& n : nodes) vals.push_back(node_row(n, vals, j));
  for (size_t k = 0; k < program_.outputs.size(); ++k) {
    const Val& r = vals[program_.outputs[k].node];
    // Bool: 0/1; Int: the low byte; Float (never produced by the checker): 0, as the
    // interpreter writes its integer slot.
    llvm::Value* v8 = r.v->getType() == i1()    ? b_.CreateZExt(r.v, i8())
                      : r.v->getType() == i64() ? b_.CreateTrunc(r.v, i8())
                                                : b_.getInt8(0);
    llvm::Value* out = b_.CreateSelect(r.p, v8, b_.getInt8(static_cast<uint8_t>(-1)));
    llvm::StoreInst* st = b_.CreateStore(out, b_.CreateInBoundsGEP(i8(), outs_blk[k], j));
    st->setMetadata(llvm::LLVMContext::MD_alias_scope, output_scope_[k]);
    st->setMetadata(llvm::LLVMContext::MD_noalias, output_noalias_[k]);
  }
  llvm::Value* j_next = b_.CreateAdd(j, c64(1), "j.next", /*HasNUW=*/true, /*HasNSW=*/true);
  j->addIncoming(j_next, inner);
  llvm::BranchInst* row_back = b_.CreateCondBr(b_.CreateICmpSLT(j_next, jhi), inner, outer_latch);
  // One vector body without interleaving (the body is wide already: interleaving doubles the
  // machine code to compile for little gain) and no unrolling of the scalar remainder. (Not
  // llvm.loop.vectorize.enable: a loop that cannot be vectorized, e.g. one with Int Mul, would
  // then print a warning.)
  {
    llvm::Metadata* interleave[] = {llvm::MDString::get(ctx_, "llvm.loop.interleave.count"),
                                    llvm::ConstantAsMetadata::get(b_.getInt32(1))};
    llvm::Metadata* no_unroll[] = {llvm::MDString::get(ctx_, "llvm.loop.unroll.disable")};
    llvm::TempMDTuple self = llvm::MDNode::getTemporary(ctx_, {});
    llvm::MDNode* loop_id = llvm::MDNode::get(
        ctx_,
        {self.get(), llvm::MDNode::get(ctx_, interleave), llvm::MDNode::get(ctx_, no_unroll)});
    loop_id->replaceOperandWith(0, loop_id);
    row_back->setMetadata(llvm::LLVMContext::MD_loop, loop_id);
  }

  b_.SetInsertPoint(outer_latch);
  llvm::Value* blk_next = b_.CreateAdd(blk, c64(1), "b.next", true, true);
  blk->addIncoming(blk_next, outer_latch);
  b_.CreateCondBr(b_.CreateICmpSLE(blk_next, last_block), outer, exit);

  b_.SetInsertPoint(exit);
  b_.CreateRetVoid();
  return compat::verify(module_, error);
}

}  // namespace

bool validate_program(const ir::Program& program, std::string& error) {
  const auto& nodes = program.nodes;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    auto fail = [&](const std::string& what) {
      error = fmt::format("node {} ({}): {}", i, op_text(n.op), what);
      return false;
    };
    for (uint32_t a : n.args)
      if (a >= i) return fail(fmt::format("argument {} is not an earlier node", a));
    auto arity = [&](size_t want) { return n.args.size() == want; };
    auto arg_ty = [&](size_t k) { return nodes[n.args[k]].ty; };
    switch (n.op) {
      case Op::ConstBool:
        if (n.ty != Ty::Bool) return fail("must be Bool");
        break;
      case Op::ConstInt:
      case Op::AsOf:
        if (n.ty != Ty::Int) return fail("must be Int");
        break;
      case Op::ConstFloat:
        if (n.ty != Ty::Float) return fail("must be Float");
        break;
      case Op::Null:
        break;
      case Op::Column: {
        if (n.index >= program.schema.fields.size()) return fail("no such field");
        const FieldType t = program.schema.fields[n.index].type;
        // A Column of a String field is always missing (strings are read through atoms).
        if (n.ty != ir::column_ty(t)) return fail("type does not match the field");
        break;
      }
      case Op::Atom:
        if (n.index >= program.atoms.size()) return fail("no such atom");
        if (n.ty != Ty::Bool) return fail("must be Bool");
        break;
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Div:
        if (!arity(2)) return fail("needs 2 arguments");
        if (n.ty == Ty::Bool || arg_ty(0) != n.ty || arg_ty(1) != n.ty)
          return fail("operands must be Int or Float of the node's type");
        if (n.op == Op::Div && n.ty != Ty::Float) return fail("division is Float only");
        break;
      case Op::Neg:
        if (!arity(1) || n.ty == Ty::Bool || arg_ty(0) != n.ty)
          return fail("needs one Int or Float operand of the node's type");
        break;
      case Op::IntToFloat:
        if (!arity(1) || arg_ty(0) != Ty::Int || n.ty != Ty::Float)
          return fail("converts one Int to Float");
        break;
      case Op::Eq:
      case Op::Ne:
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge:
        if (!arity(2) || arg_ty(0) != arg_ty(1) || n.ty != Ty::Bool)
          return fail("compares two operands of one type into Bool");
        break;
      case Op::And:
      case Op::Or:
        if (!arity(2) || arg_ty(0) != Ty::Bool || arg_ty(1) != Ty::Bool || n.ty != Ty::Bool)
          return fail("needs two Bool operands");
        break;
      case Op::Not:
      case Op::IsTrue:
      case Op::IsFalse:
        if (!arity(1) || arg_ty(0) != Ty::Bool || n.ty != Ty::Bool)
          return fail("needs one Bool operand");
        break;
      case Op::IsMissing:
        if (!arity(1) || n.ty != Ty::Bool) return fail("needs one operand and is Bool");
        break;
      case Op::InMask:
        if (!arity(1) || arg_ty(0) != Ty::Int || n.ty != Ty::Bool)
          return fail("tests one Int operand into Bool");
        break;
      case Op::If:
        if (!arity(3) || arg_ty(0) != Ty::Bool || arg_ty(1) != n.ty || arg_ty(2) != n.ty)
          return fail("needs a Bool condition and two operands of the node's type");
        break;
      case Op::Coalesce:
        if (!arity(2) || arg_ty(0) != n.ty || arg_ty(1) != n.ty)
          return fail("needs two operands of the node's type");
        break;
      case Op::FirstTrue:
        if (n.ty != Ty::Int) return fail("must be Int");
        for (size_t k = 0; k < n.args.size(); ++k)
          if (arg_ty(k) != Ty::Bool) return fail("operands must be Bool");
        break;
      case Op::Switch:
        if (n.args.empty() || arg_ty(0) != Ty::Int) return fail("needs an Int index");
        for (size_t k = 1; k < n.args.size(); ++k)
          if (arg_ty(k) != n.ty) return fail("cases must have the node's type");
        break;
    }
  }
  for (size_t k = 0; k < program.outputs.size(); ++k) {
    const ir::Output& o = program.outputs[k];
    if (o.node >= nodes.size()) {
      error = fmt::format("output {} ({}): no such node", k, o.name);
      return false;
    }
  }
  return true;
}

std::unique_ptr<llvm::Module> build_kernel_module(const ir::Program& program,
                                                  const std::string& symbol,
                                                  llvm::LLVMContext& context, std::string& error) {
  if (!validate_program(program, error)) return nullptr;
  auto module = std::make_unique<llvm::Module>("rk_kernel", context);
  KernelBuilder builder(program, context, *module);
  if (!builder.build(symbol, error)) return nullptr;
  return module;
}

}  // namespace rk::jit
