// Names that come from outside (a client's request, the Hub's headers, an archive's rows, a
// bucket's objects) as values that are valid by construction (DESIGN.md, "Trust"). parse() is
// the only way in, so past the edge a commit is 40 hex digits, an ETag one token, and a path
// cannot climb out of a folder: each may name a file or fill a header line as it is.
#pragma once

#include "util/result.hpp"
#include "util/utf8.hpp"

#include <compare>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace store {

// A string that satisfies `Rule::valid`. A plain value: copyable, ordered, compared with text.
template <typename Rule> class Name {
public:
  static std::optional<Name> parse(std::string_view text) {
    if (!Rule::valid(text)) return std::nullopt;
    return Name(std::string(text));
  }
  // The same, as a Result whose Errc::invalid_argument message says what was expected.
  static util::Result<Name> from(std::string_view text) {
    if (auto name = parse(text)) return *name;
    return util::fail(util::Errc::invalid_argument,
                      "'" + util::printable(text) + "' is not " + std::string(Rule::k_what));
  }

  const std::string& str() const { return m_text; }

  friend bool operator==(const Name&, const Name&) = default;
  friend auto operator<=>(const Name&, const Name&) = default;
  friend bool operator==(const Name& name, std::string_view text) { return name.m_text == text; }
  friend std::ostream& operator<<(std::ostream& out, const Name& name) { return out << name.m_text; }

private:
  explicit Name(std::string text) : m_text(std::move(text)) {}
  std::string m_text;
};

// JSON (nlohmann finds this by argument-dependent lookup): a name is its text.
template <typename Json, typename Rule> void to_json(Json& json, const Name<Rule>& name) {
  json = name.str();
}

// The rules. Each is also usable on its own, where a value is only checked.
struct CommitRule {
  static bool valid(std::string_view text);
  static constexpr std::string_view k_what = "a commit id (40 lower-case hex digits)";
};
// The Hub's repo id: "name" or "org/name", each part 1-96 of [A-Za-z0-9_.-], starting and
// ending with a letter, digit or '_', no "--" or ".." (huggingface_hub's validate_repo_id),
// so it maps one to one onto the cache's "models--org--name" folder.
struct RepoIdRule {
  static bool valid(std::string_view text);
  static constexpr std::string_view k_what = "a repo id (org/name)";
};
// A file's path in a repository: relative, '/'-separated, no empty, "." or ".." part, no part
// longer than a file name may be (255 bytes), well-formed UTF-8 without control characters
// (NUL included), at most 4096 bytes.
struct RepoPathRule {
  static bool valid(std::string_view text);
  static constexpr std::string_view k_what = "a path in a repository";
};
// A branch, tag or commit as a revision names it (git's check-ref-format, less strict where
// the Hub is: "refs/pr/3" is fine): no control characters, space, ~^:?*[\, "..", "@{", no
// empty part or one starting with '.', not ending in ".lock" or '/'; at most 255 bytes.
struct RevisionRule {
  static bool valid(std::string_view text);
  static constexpr std::string_view k_what = "a revision (branch, tag or commit)";
};
// An entity tag as the Hub names a file (the git blob sha1, or the LFS sha256), unquoted:
// 1-128 of [A-Za-z0-9._-], not "." or "..". It names blobs/<etag> in an HF cache export.
struct EtagRule {
  static bool valid(std::string_view text);
  static constexpr std::string_view k_what = "an ETag (a token of letters, digits, '.', '_', '-')";
};

using CommitId = Name<CommitRule>;
using RepoId = Name<RepoIdRule>;
using RepoPath = Name<RepoPathRule>;
using Revision = Name<RevisionRule>;
using Etag = Name<EtagRule>;

// A credential scope in a key: "" (none) or 32 lower-case hex digits (cache/credentials.hpp).
bool is_credential_scope(std::string_view text);

} // namespace store
