// Rekindle test shim: an LD_PRELOAD library that makes executable memory unavailable, like a
// hardened host (SELinux deny_execmem, PaX MPROTECT): mmap and mprotect asking for PROT_EXEC fail
// with EACCES; every other call passes through to the C library. Used by tests/e2e/jit_fallback.sh
// to check that `rekindle` falls back to the interpreter when the JIT cannot be created.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

typedef void* (*mmap_fn)(void*, size_t, int, int, int, off_t);
typedef int (*mprotect_fn)(void*, size_t, int);

void* mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
  static mmap_fn next = NULL;
  if (prot & PROT_EXEC) {
    errno = EACCES;
    return MAP_FAILED;
  }
  if (!next) next = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
  return next(addr, length, prot, flags, fd, offset);
}

void* mmap64(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
  return mmap(addr, length, prot, flags, fd, offset);
}

int mprotect(void* addr, size_t length, int prot) {
  static mprotect_fn next = NULL;
  if (prot & PROT_EXEC) {
    errno = EACCES;
    return -1;
  }
  if (!next) next = (mprotect_fn)dlsym(RTLD_NEXT, "mprotect");
  return next(addr, length, prot);
}
