#include "store/entry.hpp"

namespace store {

std::string repo_folder(RepoType type, const RepoId& repo_id) {
  std::string name = std::string(to_string(type)) + "s--";
  for (char c : repo_id.str()) {
    if (c == '/') name += "--";
    else name += c;
  }
  return name;
}

std::optional<std::pair<RepoType, RepoId>> parse_repo_folder(std::string_view folder) {
  // repo_folder never writes '/': a name holding one is a path, not a folder (issue 14).
  if (folder.find('/') != std::string_view::npos) return std::nullopt;
  const auto first = folder.find("s--");
  if (first == std::string_view::npos) return std::nullopt;
  const auto type = parse_repo_type(folder.substr(0, first));
  if (!type) return std::nullopt;
  const std::string_view rest = folder.substr(first + 3);
  // Hub repo names never contain "--" (huggingface_hub refuses them), so the split is exact.
  const auto sep = rest.find("--");
  if (sep == std::string_view::npos) {
    auto repo_id = RepoId::parse(rest);
    if (!repo_id) return std::nullopt;
    return std::make_pair(*type, std::move(*repo_id));
  }
  const std::string_view org = rest.substr(0, sep);
  const std::string_view name = rest.substr(sep + 2);
  if (org.empty() || name.empty() || name.find("--") != std::string_view::npos) return std::nullopt;
  std::string repo_id;
  repo_id.reserve(org.size() + 1 + name.size());
  repo_id.append(org).append("/").append(name);
  auto valid = RepoId::parse(repo_id);
  if (!valid) return std::nullopt;
  return std::make_pair(*type, std::move(*valid));
}

std::optional<std::pair<RepoType, RepoId>> parse_repo_spec(std::string_view text) {
  const auto colon = text.find(':');
  const auto type = colon == std::string_view::npos ? std::optional(RepoType::model)
                                                    : parse_repo_type(text.substr(0, colon));
  auto id = RepoId::parse(colon == std::string_view::npos ? text : text.substr(colon + 1));
  if (!type || !id) return std::nullopt;
  return std::make_pair(*type, std::move(*id));
}

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
