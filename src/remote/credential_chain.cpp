#include "remote/credential_chain.hpp"

#include <algorithm>
#include <cctype>

namespace remote {
namespace {

bool metadata_disabled(const Environment& env) {
  std::string value = env_value(env, "AWS_EC2_METADATA_DISABLED");
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return value == "true";
}

} // namespace

util::Result<std::shared_ptr<CredentialProvider>>
credential_chain(const Environment& env, const CredentialHttp& http, const util::Clock& clock) {
  auto from_environment = environment_credentials(env);
  if (!from_environment) return tl::unexpected(from_environment.error());
  if (*from_environment) return CredentialProvider::fixed(std::move(**from_environment));

  // The sources below read `env` again at every renewal (the token files rotate), so the
  // provider keeps its own copy.
  const bool has_role = !env_value(env, "AWS_ROLE_ARN").empty();
  const bool has_token_file = !env_value(env, "AWS_WEB_IDENTITY_TOKEN_FILE").empty();
  if (has_token_file && !has_role) {
    // Walking on would reach the node's instance profile: a pod would silently act as its node.
    return util::fail(util::Errc::invalid_argument,
                      "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
  }
  if (has_role && has_token_file) {
    return std::make_shared<CredentialProvider>(
        "web identity role " + env_value(env, "AWS_ROLE_ARN"),
        [env, http] { return web_identity_credentials(env, http); }, clock);
  }

  auto container = container_credentials_url(env);
  if (!container) return tl::unexpected(container.error());
  if (*container) {
    return std::make_shared<CredentialProvider>(
        "container credentials", [env, http] { return container_credentials(env, http); }, clock);
  }

  auto from_profile = profile_credentials(env);
  if (!from_profile) return tl::unexpected(from_profile.error());
  if (*from_profile) return CredentialProvider::fixed(std::move(**from_profile));
  if (auto command = profile_credential_process(env)) {
    const std::string profile =
        env_value(env, "AWS_PROFILE").empty() ? "default" : env_value(env, "AWS_PROFILE");
    return std::make_shared<CredentialProvider>(
        "profile " + profile + " (credential_process)",
        [command = *command, profile] {
          return process_credentials(command, "profile " + profile);
        },
        clock);
  }

  if (!metadata_disabled(env)) {
    auto instance = instance_profile_credentials(env, http);
    if (!instance) return tl::unexpected(instance.error());
    if (*instance) {
      auto source = (*instance)->source;
      return std::make_shared<CredentialProvider>(
          std::move(source),
          [env, http]() -> util::Result<AwsCredentials> {
            auto renewed = instance_profile_credentials(env, http);
            if (!renewed) return tl::unexpected(renewed.error());
            if (!*renewed) {
              return util::fail(util::Errc::upstream_unreachable,
                                "the instance metadata service no longer answers with a role");
            }
            return std::move(**renewed);
          },
          clock, std::move(*instance));
    }
  }

  AwsCredentials anonymous;
  anonymous.source = "none (anonymous)";
  return CredentialProvider::fixed(std::move(anonymous));
}

} // namespace remote
