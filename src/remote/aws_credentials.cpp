#include "remote/aws_credentials.hpp"

#include <fstream>
#include <optional>

extern char** environ;

namespace remote {
namespace {

std::string get(const std::map<std::string, std::string>& env, const std::string& name) {
  const auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// The `key = value` pairs of section [name] of an INI file; nullopt if the file or the
// section is missing.
std::optional<std::map<std::string, std::string>> ini_section(const std::string& path,
                                                              const std::string& name) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::optional<std::map<std::string, std::string>> found;
  bool inside = false;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      inside = trim(line.substr(1, line.size() - 2)) == name;
      if (inside && !found) found.emplace();
      continue;
    }
    const auto eq = line.find('=');
    if (inside && eq != std::string::npos) (*found)[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return found;
}

} // namespace

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string text = *entry;
    const auto eq = text.find('=');
    if (eq != std::string::npos) env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return env;
}

util::Result<AwsCredentials> load_aws_credentials(const std::map<std::string, std::string>& env) {
  AwsCredentials out;
  const std::string home = get(env, "HOME");
  const std::string explicit_profile = get(env, "AWS_PROFILE");
  const std::string profile = explicit_profile.empty() ? "default" : explicit_profile;
  std::string credentials_file = get(env, "AWS_SHARED_CREDENTIALS_FILE");
  if (credentials_file.empty() && !home.empty()) credentials_file = home + "/.aws/credentials";
  std::string config_file = get(env, "AWS_CONFIG_FILE");
  if (config_file.empty() && !home.empty()) config_file = home + "/.aws/config";

  if (!get(env, "AWS_ACCESS_KEY_ID").empty()) {
    out.access_key = get(env, "AWS_ACCESS_KEY_ID");
    out.secret_key = get(env, "AWS_SECRET_ACCESS_KEY");
    out.session_token = get(env, "AWS_SESSION_TOKEN");
    out.source = "environment";
    if (out.secret_key.empty()) {
      return util::fail(util::Errc::invalid_argument,
                        "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }
  } else if (auto section = ini_section(credentials_file, profile)) {
    out.access_key = (*section)["aws_access_key_id"];
    out.secret_key = (*section)["aws_secret_access_key"];
    out.session_token = (*section)["aws_session_token"];
    out.source = "profile " + profile;
    if (out.access_key.empty() || out.secret_key.empty()) {
      return util::fail(util::Errc::invalid_argument,
                        "profile " + profile + " in " + credentials_file +
                            " lacks aws_access_key_id or aws_secret_access_key");
    }
  } else if (!explicit_profile.empty()) {
    return util::fail(util::Errc::invalid_argument,
                      "AWS_PROFILE=" + profile + " but " + credentials_file + " has no [" +
                          profile + "] section");
  } else {
    out.source = "none (anonymous)";
  }

  if (!get(env, "AWS_REGION").empty()) {
    out.region = get(env, "AWS_REGION");
  } else if (!get(env, "AWS_DEFAULT_REGION").empty()) {
    out.region = get(env, "AWS_DEFAULT_REGION");
  } else {
    // The config file names sections "profile NAME", except "default".
    auto section = ini_section(config_file, profile == "default" ? profile : "profile " + profile);
    if (section && !(*section)["region"].empty()) out.region = (*section)["region"];
  }
  return out;
}

} // namespace remote
