// The one place that includes Asio and Beast, for src/http/*.cpp only (never from a header
// outside src/http or src/proxy: they are slow to compile).
#pragma once

// Debian's Boost 1.74 uses std::exchange in awaitable.hpp without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::asio::awaitable;
using boost::asio::use_awaitable;
using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
} // namespace http
