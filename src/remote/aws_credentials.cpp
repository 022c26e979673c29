#include "remote/aws_credentials.hpp"

#include <fstream>

extern char** environ;

namespace remote {
namespace {

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
    if (inside && eq != std::string::npos)
      (*found)[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return found;
}

struct SharedFiles {
  std::string profile;
  bool named = false; // AWS_PROFILE was given
  std::string credentials;
  std::string config;
};

SharedFiles shared_files(const Environment& env) {
  SharedFiles out;
  const std::string home = env_value(env, "HOME");
  out.named = !env_value(env, "AWS_PROFILE").empty();
  out.profile = out.named ? env_value(env, "AWS_PROFILE") : "default";
  out.credentials = env_value(env, "AWS_SHARED_CREDENTIALS_FILE");
  if (out.credentials.empty() && !home.empty()) out.credentials = home + "/.aws/credentials";
  out.config = env_value(env, "AWS_CONFIG_FILE");
  if (out.config.empty() && !home.empty()) out.config = home + "/.aws/config";
  return out;
}

// The config file names sections "profile NAME", except "default".
std::optional<std::map<std::string, std::string>> config_section(const SharedFiles& files) {
  return ini_section(files.config,
                     files.profile == "default" ? files.profile : "profile " + files.profile);
}

} // namespace

std::string env_value(const Environment& env, const std::string& name) {
  const auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string text = *entry;
    const auto eq = text.find('=');
    if (eq != std::string::npos) env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return env;
}

util::Result<void> check_key_text(const AwsCredentials& credentials) {
  for (const std::string* text : {&credentials.access_key, &credentials.secret_key, &credentials.session_token}) {
    for (const char c : *text) {
      if (c < 0x21 || c > 0x7E) {
        return util::fail(util::Errc::invalid_argument,
                          "the credentials from " + credentials.source +
                              " hold a character no AWS key or token has (a space or a control "
                              "character): refused");
      }
    }
  }
  return {};
}

util::Result<std::optional<AwsCredentials>> environment_credentials(const Environment& env) {
  if (env_value(env, "AWS_ACCESS_KEY_ID").empty()) return std::nullopt;
  AwsCredentials out;
  out.access_key = env_value(env, "AWS_ACCESS_KEY_ID");
  out.secret_key = env_value(env, "AWS_SECRET_ACCESS_KEY");
  out.session_token = env_value(env, "AWS_SESSION_TOKEN");
  out.source = "environment";
  if (out.secret_key.empty()) {
    return util::fail(util::Errc::invalid_argument,
                      "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  if (auto checked = check_key_text(out); !checked) return tl::unexpected(checked.error());
  return out;
}

util::Result<std::optional<AwsCredentials>> profile_credentials(const Environment& env) {
  const auto files = shared_files(env);
  auto section = ini_section(files.credentials, files.profile);
  if (!section) {
    // A profile that only names a credential_process (or lives in the config file) is not
    // missing: credential_chain.cpp asks profile_credential_process() next.
    if (files.named && !config_section(files)) {
      return util::fail(util::Errc::invalid_argument, "AWS_PROFILE=" + files.profile + " but " +
                                                          files.credentials + " has no [" +
                                                          files.profile + "] section");
    }
    return std::nullopt;
  }
  if (section->count("credential_process") && !section->count("aws_access_key_id"))
    return std::nullopt;
  AwsCredentials out;
  out.access_key = (*section)["aws_access_key_id"];
  out.secret_key = (*section)["aws_secret_access_key"];
  out.session_token = (*section)["aws_session_token"];
  out.source = "profile " + files.profile;
  if (out.access_key.empty() || out.secret_key.empty()) {
    return util::fail(util::Errc::invalid_argument,
                      "profile " + files.profile + " in " + files.credentials +
                          " lacks aws_access_key_id or aws_secret_access_key");
  }
  if (auto checked = check_key_text(out); !checked) return tl::unexpected(checked.error());
  return out;
}

std::optional<std::string> profile_credential_process(const Environment& env) {
  const auto files = shared_files(env);
  for (auto section : {ini_section(files.credentials, files.profile), config_section(files)}) {
    if (!section) continue;
    if (section->count("aws_access_key_id")) return std::nullopt; // static keys win, as in the SDKs
    const auto command = (*section)["credential_process"];
    if (!command.empty()) return command;
  }
  return std::nullopt;
}

std::string aws_region(const Environment& env) {
  if (!env_value(env, "AWS_REGION").empty()) return env_value(env, "AWS_REGION");
  if (!env_value(env, "AWS_DEFAULT_REGION").empty()) return env_value(env, "AWS_DEFAULT_REGION");
  auto section = config_section(shared_files(env));
  if (section && !(*section)["region"].empty()) return (*section)["region"];
  return "us-east-1";
}

util::Result<AwsCredentials> load_aws_credentials(const Environment& env) {
  auto found = environment_credentials(env);
  if (!found) return tl::unexpected(found.error());
  if (!*found) {
    found = profile_credentials(env);
    if (!found) return tl::unexpected(found.error());
  }
  AwsCredentials out;
  if (*found)
    out = std::move(**found);
  else
    out.source = "none (anonymous)";
  out.region = aws_region(env);
  return out;
}

} // namespace remote
