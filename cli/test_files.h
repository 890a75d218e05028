// Rekindle CLI: which test files `rekindle test` runs for its arguments. A test file is taken as
// is; a folder stands for every `*.test` file below it (like `opa test .`; hidden folders are
// skipped, symbolic links to folders are not followed); a rule file (`*.rules`) stands for the
// test files beside it whose `rules "..."` names it. A folder is also the project folder of the
// test files found below it: their `rules "..."` and imports may reach anywhere inside it.
#pragma once

#include <string>
#include <vector>

namespace rk::cli {

struct TestFileSearch {
  std::vector<std::string> files;  // in argument order; a folder's files sorted by path; no repeats
  // For each file, the folder argument it was found below ("" when named directly or beside a
  // rule file: then its own folder bounds what it reads).
  std::vector<std::string> roots;
  std::vector<std::string> errors;  // an argument that stands for no test file, and why
};

TestFileSearch find_test_files(const std::vector<std::string>& args);

}  // namespace rk::cli
