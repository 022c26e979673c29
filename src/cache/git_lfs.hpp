// git-lfs JSON as hubcache records and replays it: what a batch request or answer is, and a
// recorded batch answer as replay serves it, without the expiry of its actions.
#pragma once

#include "util/headers.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cache {

// Batch bodies above this are taken as sent (one for thousands of objects is smaller).
inline constexpr std::size_t k_max_git_lfs_json = 4 << 20;

// A git-lfs batch request or answer nests 4 deep ({"objects":[{"actions":{...}}]}); deeper
// JSON is taken as sent, which keeps a hostile body from driving the recursive serializer
// deep (DESIGN.md, "Trust").
inline constexpr int k_max_git_lfs_depth = 16;

// Whether `headers` (a request's or a response's) say Content-Type application/vnd.git-lfs+json.
bool is_git_lfs_json(const util::Headers& headers);

// A recorded batch answer with `expires_at` and `expires_in` removed from each object's
// actions; std::nullopt when there is nothing to remove or it is not such JSON (then it is
// served as stored). The Hub's answer says each download href expires, and git-lfs refuses an
// action past it ("LFS: action "download" expires at ..."); hubcache answers the href from its
// own recording, which does not expire, so a clone recorded today still replays next month
// (issue 15). Pure.
std::optional<std::string> without_lfs_expiry(std::string_view body);

} // namespace cache
