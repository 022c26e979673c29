// The one place that includes Asio and Beast, for src/http/*.cpp only (never from a header
// outside src/http or src/proxy: they are slow to compile).
//
// Coroutine rules. GCC 12 (Debian 12's compiler) miscompiles three things, each seen here as
// a use-after-free under ASan; so in every coroutine:
//   1. no parameter of a non-trivially destructible type taken by value (it may be destroyed
//      twice): take references or pointers to what the caller keeps alive;
//   2. no non-trivial temporary in a co_await full-expression (strings built in the argument
//      list, lambdas capturing strands or shared_ptrs): name it in a statement before;
//   3. no lambda coroutine with captures (they die with the lambda): use member functions
//      and keep the object alive through a member (Connection::m_serving).
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
#if defined(BOOST_ASIO_HAS_CO_AWAIT)  // not with clang 14 + libstdc++ (the fuzz build)
using boost::asio::awaitable;
using boost::asio::use_awaitable;
#endif
using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
} // namespace http
