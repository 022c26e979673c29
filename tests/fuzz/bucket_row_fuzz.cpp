// libFuzzer target: what a fleet reads from a bucket others write (remote/bucket_layout.hpp):
// file, exchange and ref rows (JSON) and ref keys, and the repo folder names in those keys
// (store::parse_repo_folder). The input is tried as each. Whatever decodes, encoded again,
// decodes to the same value; a key that parses is the key its parts make.
#include "remote/bucket_layout.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

const std::string k_commit = "a8c8aa76981432e7ab85e5a6ec502fd14c0addde";

template <typename Name> Name valid(std::string_view text) { return Name::parse(text).value(); }

void check_file(std::string_view text) {
  const store::HubObjectKey key{store::RepoType::model, valid<store::RepoId>("org/name"),
                                valid<store::CommitId>(k_commit),
                                valid<store::RepoPath>("onnx/model.onnx"), "scope"};
  const auto object = remote::decode_file(text, key);
  if (!object) {
    check(object.error().code == util::Errc::corrupt);
    return;
  }
  check(object->key == key);
  const auto again = remote::decode_file(remote::encode_file(*object), key);
  check(again.has_value());
  check(again->key == key && again->blob == object->blob && again->etag == object->etag &&
        again->size == object->size && again->lfs == object->lfs);
}

void check_exchange(std::string_view text) {
  const auto exchange = remote::decode_exchange(text);
  if (!exchange) {
    check(exchange.error().code == util::Errc::corrupt);
    return;
  }
  const auto again = remote::decode_exchange(remote::encode_exchange(*exchange));
  check(again.has_value());
  // The bucket never holds a credential scope: the key comes back without one.
  check(again->key == remote::public_exchange_key(exchange->key));
  check(again->method == exchange->method && again->url == exchange->url &&
        again->status == exchange->status && again->headers == exchange->headers &&
        again->blob == exchange->blob && again->body_size == exchange->body_size);
}

void check_ref(std::string_view text) {
  const auto ref = remote::decode_ref(text, store::RepoType::dataset, valid<store::RepoId>("org/name"),
                                      valid<store::Revision>("main"));
  if (!ref) {
    check(ref.error().code == util::Errc::corrupt);
    return;
  }
  check(ref->commit.str().size() == 40 &&
        ref->commit.str().find_first_not_of("0123456789abcdef") == std::string::npos);
  check(ref->repo_type == store::RepoType::dataset && ref->repo_id == "org/name" && ref->name == "main");
  const auto again = remote::decode_ref(remote::encode_ref(*ref), ref->repo_type, ref->repo_id, ref->name);
  check(again.has_value() && again->commit == ref->commit && again->learned_at == ref->learned_at);
}

void check_keys(std::string_view text) {
  if (const auto name = remote::parse_ref_key(text)) {
    check(!name->repo_id.str().empty() && !name->name.str().empty());
    check(name->name.str().find("..") == std::string::npos);  // no name that climbs (issue 14)
    check(remote::ref_key(name->type, name->repo_id, name->name) == text);
  }
  if (const auto repo = store::parse_repo_folder(text)) {
    check(!repo->second.str().empty());
    check(store::repo_folder(repo->first, repo->second) == text);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_file(text);
  check_exchange(text);
  check_ref(text);
  check_keys(text);
  return 0;
}
