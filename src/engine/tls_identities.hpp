// The certificates CONNECT tunnels present: leaves of the store's interception CA, which is
// created on the first tunnel (a mirror that is never a proxy never makes one).
#pragma once

#include "http/server.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace engine {

// A source of leaf certificates signed by the CA in `ca_dir`. Safe from any thread. A CA or
// leaf that cannot be made refuses that tunnel and says why through `notice`.
http::TlsIdentities leaf_certificates(const std::filesystem::path& ca_dir,
                                      std::function<void(const std::string&)> notice);

} // namespace engine
