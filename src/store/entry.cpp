#include "store/entry.hpp"

namespace store {

std::string_view to_string(RepoType type) {
  switch (type) {
  case RepoType::model:
    return "model";
  case RepoType::dataset:
    return "dataset";
  case RepoType::space:
    return "space";
  }
  return "model";
}

std::optional<RepoType> parse_repo_type(std::string_view text) {
  if (text == "model") return RepoType::model;
  if (text == "dataset") return RepoType::dataset;
  if (text == "space") return RepoType::space;
  return std::nullopt;
}

} // namespace store
