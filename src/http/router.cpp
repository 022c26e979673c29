#include "http/router.hpp"

namespace http {

void Router::add_prefix(std::string prefix, Handler handler) {
  m_routes.emplace_back(std::move(prefix), std::move(handler));
}

void Router::dispatch(Request request, Respond respond) const {
  const Handler* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& [prefix, handler] : m_routes) {
    if (request.target.rfind(prefix, 0) == 0 && (!best || prefix.size() > best_length)) {
      best = &handler;
      best_length = prefix.size();
    }
  }
  if (!best && m_fallback) best = &m_fallback;
  if (!best) {
    respond(Response::text(404, "no route for " + request.target + "\n"));
    return;
  }
  (*best)(std::move(request), std::move(respond));
}

} // namespace http
