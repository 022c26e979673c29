#include "remote/bucket_layout.hpp"

#include "util/json_text.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <utility>

namespace remote {

using nlohmann::json;

std::string blob_key(const util::Sha256& digest) {
  const auto hex = digest.hex();
  return "blobs/sha256/" + hex.substr(0, 2) + "/" + hex;
}

std::string files_prefix(store::RepoType type, const store::RepoId& repo_id,
                         const store::CommitId& commit) {
  return "meta/files/" + store::repo_folder(type, repo_id) + "/" + commit.str() + "/";
}

std::string file_key(store::RepoType type, const store::RepoId& repo_id,
                     const store::CommitId& commit, const store::RepoPath& path) {
  return files_prefix(type, repo_id, commit) + path.str();
}

std::string public_exchange_key(const std::string& key) {
  const auto at = key.find(" credential=");
  if (at == std::string::npos) return key;
  const auto end = key.find(' ', at + 1);
  return key.substr(0, at) + (end == std::string::npos ? std::string() : key.substr(end));
}

std::string exchange_object_key(const std::string& exchange_key) {
  const auto hex = util::Sha256::of(public_exchange_key(exchange_key)).hex();
  return "meta/exchanges/" + hex.substr(0, 2) + "/" + hex;
}

std::string ref_key(store::RepoType type, const store::RepoId& repo_id, const store::Revision& name) {
  return std::string(k_refs_prefix) + store::repo_folder(type, repo_id) + "/" + name.str();
}

std::optional<RefName> parse_ref_key(std::string_view key) {
  if (key.substr(0, k_refs_prefix.size()) != k_refs_prefix) return std::nullopt;
  key.remove_prefix(k_refs_prefix.size());
  const auto slash = key.find('/');
  if (slash == std::string_view::npos || slash + 1 >= key.size()) return std::nullopt;
  auto repo = store::parse_repo_folder(key.substr(0, slash));
  auto name = store::Revision::parse(key.substr(slash + 1));
  if (!repo || !name) return std::nullopt;
  return RefName{repo->first, std::move(repo->second), std::move(*name)};
}

namespace {

json headers_json(const util::Headers& headers) {
  json out = json::array();
  for (const auto& [name, value] : headers) out.push_back({name, value});
  return out;
}

util::Result<json> parse(std::string_view text, const char* what) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return util::fail(util::Errc::corrupt, std::string("a ") + what + " row in the bucket is not JSON");
  }
  return doc;
}

// The integer `value` holds, if it is one that fits T. nlohmann's get<T>() converts a float,
// or an integer out of range, unchecked (1e300 into an int is undefined behaviour): a row
// others wrote must not get that far (issue 14).
template <typename T> std::optional<T> integer(const json& value) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (std::in_range<T>(v)) return static_cast<T>(v);
  } else if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (std::in_range<T>(v)) return static_cast<T>(v);
  }
  return std::nullopt;
}

tl::unexpected<util::Error> not_integer(const char* row, const char* field) {
  return util::fail(util::Errc::corrupt, std::string(row) + " in the bucket is malformed: \"" + field +
                                             "\" is not an integer in range");
}

} // namespace

std::string encode_file(const store::HubObject& object) {
  return util::to_json_text(json{{"blob", object.blob.hex()},
                                 {"etag", object.etag},
                                 {"size", object.size},
                                 {"lfs", object.lfs}});
}

util::Result<store::HubObject> decode_file(std::string_view text, const store::HubObjectKey& key) {
  auto doc = parse(text, "file");
  if (!doc) return tl::unexpected(doc.error());
  try {
    const auto blob = util::Sha256::from_hex(doc->at("blob").get<std::string>());
    if (!blob) return util::fail(util::Errc::corrupt, "a file row in the bucket names a bad blob");
    auto etag = store::Etag::parse(doc->at("etag").get<std::string>());
    if (!etag) return util::fail(util::Errc::corrupt, "a file row in the bucket has a bad etag");
    const auto size = integer<std::uint64_t>(doc->at("size"));
    if (!size) return not_integer("a file row", "size");
    return store::HubObject{key, *blob, std::move(*etag), *size, doc->at("lfs").get<bool>()};
  } catch (const json::exception& e) {
    return util::fail(util::Errc::corrupt, std::string("a file row in the bucket is malformed: ") + e.what());
  }
}

std::string encode_exchange(const store::Exchange& exchange) {
  json doc{{"key", public_exchange_key(exchange.key)},
           {"method", exchange.method},
           {"url", exchange.url},
           {"status", exchange.status},
           {"headers", headers_json(exchange.headers)},
           {"size", exchange.body_size}};
  if (exchange.blob) doc["blob"] = exchange.blob->hex();
  return util::to_json_text(doc);
}

util::Result<store::Exchange> decode_exchange(std::string_view text) {
  auto doc = parse(text, "exchange");
  if (!doc) return tl::unexpected(doc.error());
  try {
    store::Exchange exchange;
    exchange.key = doc->at("key").get<std::string>();
    exchange.method = doc->at("method").get<std::string>();
    exchange.url = doc->at("url").get<std::string>();
    const auto status = integer<int>(doc->at("status"));
    if (!status) return not_integer("an exchange row", "status");
    exchange.status = *status;
    for (const auto& pair : doc->at("headers")) {
      exchange.headers.emplace_back(pair.at(0).get<std::string>(), pair.at(1).get<std::string>());
    }
    const auto size = integer<std::uint64_t>(doc->at("size"));
    if (!size) return not_integer("an exchange row", "size");
    exchange.body_size = *size;
    if (doc->contains("blob")) {
      const auto blob = util::Sha256::from_hex(doc->at("blob").get<std::string>());
      if (!blob) return util::fail(util::Errc::corrupt, "an exchange row in the bucket names a bad blob");
      exchange.blob = *blob;
    }
    return exchange;
  } catch (const json::exception& e) {
    return util::fail(util::Errc::corrupt, std::string("an exchange row in the bucket is malformed: ") + e.what());
  }
}

std::string encode_ref(const store::Ref& ref) {
  return util::to_json_text(json{{"commit", ref.commit}, {"learned_at", ref.learned_at}});
}

util::Result<store::Ref> decode_ref(std::string_view text, store::RepoType type,
                                    const store::RepoId& repo_id, const store::Revision& name) {
  auto doc = parse(text, "ref");
  if (!doc) return tl::unexpected(doc.error());
  try {
    const auto learned_at = doc->contains("learned_at")
                                ? integer<util::UnixMillis>(doc->at("learned_at"))
                                : util::UnixMillis{0};
    if (!learned_at) return not_integer("a ref", "learned_at");
    auto commit = store::CommitId::parse(doc->at("commit").get<std::string>());
    if (!commit) return util::fail(util::Errc::corrupt, "a ref in the bucket names a bad commit");
    return store::Ref{type, repo_id, name, std::move(*commit), *learned_at, {}};
  } catch (const json::exception& e) {
    return util::fail(util::Errc::corrupt, std::string("a ref in the bucket is malformed: ") + e.what());
  }
}

} // namespace remote
