// The index schema and its migrations, oldest first. Part of the index: only index.cpp uses it.
#pragma once

#include <span>

namespace store::index_schema {

struct Migration {
  int to_version;  // PRAGMA user_version after this step
  const char* sql; // run inside the migrating transaction
};

// Step i brings a store from schema i to i + 1. Append; never edit a released step.
std::span<const Migration> migrations();

} // namespace store::index_schema
