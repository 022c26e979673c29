// Picks the handler for a request: the longest registered path prefix, else the fallback.
// Handlers register themselves (the cache, the admin routes); the router knows none of them.
#pragma once

#include "http/message.hpp"

#include <string>
#include <vector>

namespace http {

// Fill before the server starts; read-only (and so thread-safe) afterwards.
class Router {
public:
  void add_prefix(std::string prefix, Handler handler);
  void set_fallback(Handler handler) { m_fallback = std::move(handler); }
  // Calls the chosen handler, or answers 404 if there is none.
  void dispatch(Request request, Respond respond) const;

private:
  std::vector<std::pair<std::string, Handler>> m_routes;
  Handler m_fallback;
};

} // namespace http
