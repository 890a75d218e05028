// Rekindle tests: the Catch2 main shared by every stage suite.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
