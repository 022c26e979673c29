#include "cache/side_requests.hpp"

namespace cache {

namespace {

// Each entry was read in its client's source (hf-protocol.md §3.4, §11): every one swallows
// any failure, so a clean error status is what it sees offline, minus the timeout.
constexpr SideRequest k_table[] = {
    {SideHost::hub, "", "/api/telemetry/", "", "huggingface_hub telemetry",
     "HF_HUB_DISABLE_TELEMETRY=1", 200, ""},
    {SideHost::hub, "", "/api/agent-harnesses", "", "huggingface_hub's agent harness registry",
     "", 404, ""},
    {SideHost::named, "s3.amazonaws.com", "/datasets.huggingface.co/datasets/", "",
     "datasets' download counter", "HF_UPDATE_DOWNLOAD_COUNTS=0", 404, ""},
    {SideHost::dataset_viewer, "", "/info", "", "datasets' dataset viewer lookup (/info)", "",
     404, "{\"error\":\"Not recorded by hubcache\"}"},
    {SideHost::dataset_viewer, "", "/parquet", "", "datasets' dataset viewer lookup (/parquet)",
     "", 404, "{\"error\":\"Not recorded by hubcache\"}"},
    {SideHost::named, "pypi.org", "/pypi/", "/json", "the hf CLI's update check",
     "HF_HUB_DISABLE_UPDATE_CHECK=1", 404, "{\"message\":\"Not recorded by hubcache\"}"},
    {SideHost::named, "formulae.brew.sh", "/api/formula/", ".json", "the hf CLI's update check",
     "HF_HUB_DISABLE_UPDATE_CHECK=1", 404, ""},
    {SideHost::named, "api.gradio.app", "/", "", "gradio analytics and version check",
     "GRADIO_ANALYTICS_ENABLED=False", 404, ""},
};

bool path_matches(const SideRequest& side, SideHost where, std::string_view path) {
  if (side.where == SideHost::dataset_viewer && where == SideHost::dataset_viewer) {
    return path == side.path_prefix;  // the viewer's endpoints are whole paths
  }
  return path.starts_with(side.path_prefix) && path.ends_with(side.path_suffix) &&
         path.size() >= side.path_prefix.size() + side.path_suffix.size();
}

} // namespace

std::span<const SideRequest> side_requests() { return k_table; }

const SideRequest* match_side_request(std::string_view method, SideHost where,
                                      std::string_view host, std::string_view path) {
  if (method != "GET" && method != "HEAD") return nullptr;
  for (const auto& side : k_table) {
    if (side.where != where) continue;
    if (where == SideHost::named && side.host != host) continue;
    if (path_matches(side, where, path)) return &side;
  }
  return nullptr;
}

bool is_side_host(std::string_view host) {
  for (const auto& side : k_table) {
    if (side.where == SideHost::named && side.host == host) return true;
  }
  return false;
}

http::Response offline_answer(const SideRequest& side) {
  const bool json = side.offline_body.starts_with("{");
  auto response = http::Response::text(side.offline_status, std::string(side.offline_body),
                                       json ? "application/json" : "text/plain; charset=utf-8");
  response.cache = "optional";
  response.optional = std::string(side.what);
  return response;
}

http::Respond as_side_request(const SideRequest& side, http::Respond respond) {
  return [&side, respond = std::move(respond)](http::Response response) {
    if (response.cache == "miss") {
      response = offline_answer(side);
    } else {
      response.optional = std::string(side.what);
    }
    respond(std::move(response));
  };
}

} // namespace cache
