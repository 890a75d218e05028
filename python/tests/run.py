# Rekindle Python tests: the ctest entry point. Runs pytest on the given test files with this
# interpreter; exits 77 (ctest: skipped) with a message when pytest is not installed. Test files
# skip themselves when pandas, dask or distributed are missing.
# The main guard matters: Dask's worker processes are started with multiprocessing's "spawn",
# which imports the parent's main module again.
import importlib.util
import sys


def main():
    if importlib.util.find_spec("pytest") is None:
        print(f"SKIPPED: pytest is not installed for {sys.executable} "
              "(Debian: apt-get install python3-pytest)")
        return 77
    import pytest

    return pytest.main(["-q", "-rs", "-p", "no:cacheprovider", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
