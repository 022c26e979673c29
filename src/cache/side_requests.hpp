// The ecosystem's side requests: what Hub clients ask on the side that no test depends on
// (telemetry, update checks, download counters, the dataset viewer). One table says what each
// is, which variable quiets it, and what replay answers when it was not recorded: the answer
// the client tolerates as it tolerates being offline, so its behaviour does not change.
#pragma once

#include "http/message.hpp"

#include <span>
#include <string_view>

namespace cache {

// Where a side request is sent.
enum class SideHost {
  named,           // the host in SideRequest::host (https)
  hub,             // the Hub hubcache mirrors (HF_ENDPOINT)
  dataset_viewer,  // the Hub's dataset viewer (datasets-server.<Hub host>)
};

struct SideRequest {
  SideHost where;
  std::string_view host;         // for SideHost::named
  std::string_view path_prefix;  // the path starts with it ...
  std::string_view path_suffix;  // ... and ends with it ("" for any)
  std::string_view what;         // "datasets' download counter": the reason shown
  std::string_view quiet;        // NAME=value that stops it, "" if none
  int offline_status;            // replay's answer when it was not recorded
  std::string_view offline_body;
};

// The table, in the order the README lists it.
std::span<const SideRequest> side_requests();

// The side request a GET or HEAD to `host` + `path` (no query) is, or nullptr. `where` is
// what the caller knows the host to be; for SideHost::named, `host` is compared exactly.
const SideRequest* match_side_request(std::string_view method, SideHost where,
                                      std::string_view host, std::string_view path);

// Whether some side request goes to `host` (SideHost::named): a CONNECT to it is accepted so
// its requests can be told apart (the rest of that host stays refused).
bool is_side_host(std::string_view host);

// What replay (or a record that may not reach the host) answers: the table's status and body,
// X-Hubcache: optional, and the reason in Response::optional.
http::Response offline_answer(const SideRequest& side);

// `respond`, for an answer to `side` from the store or upstream: the answer tagged with the
// side request's reason, and a miss replaced by its offline answer, as the client would have
// fared offline. `side` is an entry of the table (static).
http::Respond as_side_request(const SideRequest& side, http::Respond respond);

} // namespace cache
