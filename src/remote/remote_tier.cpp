#include "remote/remote_tier.hpp"

#include "remote/aws_endpoints.hpp"
#include "remote/bucket_layout.hpp"
#include "remote/credential_chain.hpp"
#include "remote/s3_backend.hpp"

namespace remote {
namespace {

constexpr std::size_t k_row_cache_limit = 100'000;
// How much longer than now a row must be believed for knows_row() to vouch for it: a caller
// that checks, then looks, must find it still believed.
constexpr std::chrono::seconds k_known_margin{1};

} // namespace

util::Result<std::unique_ptr<S3Client>> open_s3(const RemoteOptions& options, S3Options s3) {
  const auto env = process_environment();
  const std::string region = aws_region(env);
  const auto endpoint = s3_endpoint(env, options.endpoint);
  if (auto url = upstream::parse_url(endpoint.url); !endpoint.url.empty() && !url) {
    return util::fail(util::Errc::invalid_argument,
                      "bad " + endpoint.from + " " + endpoint.url + ": " + url.error().message);
  }
  auto location = parse_s3_location(options.url, endpoint.url, region);
  if (!location) return tl::unexpected(location.error());
  auto credentials = credential_chain(env, CredentialHttp{upstream::transfer, s3.stop});
  if (!credentials) return tl::unexpected(credentials.error());
  s3.ca_file = options.ca_file;
  return std::make_unique<S3Client>(std::move(*location), std::move(*credentials), region, std::move(s3));
}

namespace {

std::string seconds_text(std::chrono::steady_clock::duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return std::to_string((s + 999) / 1000) + " s";
}

} // namespace

RemoteTier::RemoteTier(std::unique_ptr<S3Client> client, RemoteOptions options, util::Metrics& metrics,
                       Notice notice)
    : RemoteTier(std::make_unique<S3Backend>(std::move(client)), std::move(options), metrics,
                 std::move(notice)) {
  m_s3 = &static_cast<const S3Backend&>(*m_backend).client();
}

RemoteTier::RemoteTier(std::unique_ptr<Backend> backend, RemoteOptions options, util::Metrics& metrics,
                       Notice notice, Clock clock)
    : m_backend(std::move(backend)), m_options(std::move(options)), m_notice(std::move(notice)),
      m_clock(std::move(clock)), m_metrics(metrics),
      m_requests(metrics.counter("hubcache_remote_requests_total", "Requests to the remote tier (S3)")),
      m_request_ms(metrics.counter("hubcache_remote_request_ms_total",
                                   "Milliseconds spent in remote-tier row requests (divide by the count)")),
      m_errors(metrics.counter("hubcache_remote_errors_total", "Remote-tier requests that failed")),
      m_bytes(metrics.counter("hubcache_remote_bytes_total", "Body bytes read from the remote tier")),
      m_marked_failed(metrics.counter(
          "hubcache_remote_backend_failed_total",
          "Times the remote backend was marked failed (unreachable, timed out or 5xx after the "
          "retries) and skipped for a cool-down (--remote-cool-down)")),
      m_shared(metrics.counter("hubcache_remote_lookups_shared_total",
                               "Remote-tier lookups that waited for the same lookup under way instead "
                               "of asking the bucket again")),
      m_failed_now(std::make_shared<std::atomic<bool>>(false)) {
  // The gauge reads a flag it shares, so a render after the tier is gone reads no freed memory.
  metrics.gauge("hubcache_remote_backend_failed",
                "1 while the remote backend is marked failed and skipped (its cool-down), else 0",
                [failed = m_failed_now] { return failed->load() ? 1.0 : 0.0; });
}

bool RemoteTier::skipping() const {
  std::lock_guard lock(m_health_mutex);
  return m_failing && (m_clock() < m_skip_until || m_reasking);
}

std::optional<util::Error> RemoteTier::skip_now(bool& reask) {
  reask = false;
  std::lock_guard lock(m_health_mutex);
  if (!m_failing) return std::nullopt;
  const auto now = m_clock();
  if (now >= m_skip_until && !m_reasking) {
    m_reasking = reask = true;  // this request asks; the others are skipped until it answers
    return std::nullopt;
  }
  const std::string when = now < m_skip_until ? "asked again in " + seconds_text(m_skip_until - now)
                                              : "being asked again";
  return util::Error{util::Errc::upstream_unreachable,
                     "the remote tier " + describe() + " is unavailable (" + when + "): " + m_failure};
}

void RemoteTier::judge(const util::Error* error, bool reask) {
  const bool outage = error && m_options.cool_down.count() > 0 &&
                      (error->code == util::Errc::upstream_unreachable || error->code == util::Errc::timeout);
  std::string line;
  {
    std::lock_guard lock(m_health_mutex);
    if (reask) m_reasking = false;
    const auto now = m_clock();
    if (outage) {
      // Requests that were under way when it was marked fail too: one outage, one marking.
      if (reask || !m_failing || now >= m_skip_until) {
        m_skip_until = now + m_options.cool_down;
        m_marked_failed.add();
      }
      if (!m_failing) {
        line = "remote tier: " + describe() + " failed; not asked for " + seconds_text(m_options.cool_down) +
               ", serving without it: " + error->message;
      }
      m_failing = true;
      m_failed_now->store(true);
      m_failure = error->message;
    } else if (m_failing && (reask || now >= m_skip_until)) {
      // Only an answer to a request sent after the marking says it is back (not one that was
      // under way before it).
      m_failing = false;
      m_failed_now->store(false);
      line = "remote tier: " + describe() + " answers again";
    }
  }
  if (!line.empty() && m_notice) m_notice(line);
}

void RemoteTier::report(const util::Error& error) { judge(&error, false); }

template <typename T, typename Call> util::Result<T> RemoteTier::ask(bool& asked, Call&& call) {
  asked = false;
  bool reask = false;
  if (auto skipped = skip_now(reask)) return tl::unexpected(std::move(*skipped));
  asked = true;
  util::Result<T> result = call();
  judge(result ? nullptr : &result.error(), reask);
  return result;
}

bool RemoteTier::fresh(std::chrono::steady_clock::time_point at) const {
  return std::chrono::steady_clock::now() - at < m_options.ttl;
}

void RemoteTier::count_bytes(std::uint64_t bytes) { m_bytes.add(bytes); }

void RemoteTier::count_request(std::chrono::steady_clock::time_point started) {
  m_requests.add();
  m_request_ms.add(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()));
}

std::optional<std::optional<std::string>> RemoteTier::cached_row(const std::string& key,
                                                                 std::chrono::steady_clock::duration margin) const {
  // Files at a commit never change; everything else (refs, answers about branches, absences)
  // is believed for the TTL.
  const bool immutable = key.rfind("meta/files/", 0) == 0;
  std::lock_guard lock(m_mutex);
  const auto it = m_rows.find(key);
  if (it == m_rows.end()) return std::nullopt;
  if ((immutable && it->second.body) || fresh(it->second.at - margin)) return it->second.body;
  return std::nullopt;
}

bool RemoteTier::knows_row(const std::string& key) const {
  if (cached_row(key, k_known_margin)) return true;
  std::lock_guard lock(m_health_mutex);
  return m_failing && (m_reasking || m_clock() + k_known_margin < m_skip_until);
}

bool RemoteTier::knows_ref(store::RepoType type, const store::RepoId& repo_id, const store::Revision& name) const {
  return knows_row(ref_key(type, repo_id, name));
}

bool RemoteTier::knows_exchange(const std::string& key) const { return knows_row(exchange_object_key(key)); }

util::Result<std::optional<std::string>> RemoteTier::get_row(const std::string& key) {
  if (auto cached = cached_row(key)) return *cached;
  return m_row_flights.run(
      key,
      [&]() -> util::Result<std::optional<std::string>> {
        // A GET of this row may have landed between the look above and this flight.
        if (auto cached = cached_row(key)) return *cached;
        const auto started = std::chrono::steady_clock::now();
        bool asked = false;
        auto body = ask<std::optional<std::string>>(asked, [&] { return m_backend->get(key, 16ull << 20); });
        if (asked) count_request(started);
        if (!body) {
          if (asked) m_errors.add();
          return tl::unexpected(body.error());
        }
        std::lock_guard lock(m_mutex);
        if (m_rows.size() >= k_row_cache_limit) m_rows.clear();
        m_rows[key] = CachedRow{*body, std::chrono::steady_clock::now()};
        return *body;
      });
}

util::Result<std::optional<store::Ref>> RemoteTier::find_ref(store::RepoType type, const store::RepoId& repo_id,
                                                             const store::Revision& name) {
  auto row = get_row(ref_key(type, repo_id, name));
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::nullopt;
  auto ref = decode_ref(**row, type, repo_id, name);
  if (!ref) return tl::unexpected(ref.error());
  return *ref;
}

util::Result<std::optional<store::HubObject>> RemoteTier::find_file(const store::HubObjectKey& key) {
  auto row = get_row(file_key(key.repo_type, key.repo_id, key.commit, key.path));
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::nullopt;
  auto object = decode_file(**row, key);
  if (!object) return tl::unexpected(object.error());
  return *object;
}

util::Result<std::optional<store::Exchange>> RemoteTier::find_exchange(const std::string& key) {
  auto row = get_row(exchange_object_key(key));
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::nullopt;
  auto exchange = decode_exchange(**row);
  if (!exchange) return tl::unexpected(exchange.error());
  // Two keys with one sha256 would be a collision; believe nothing then.
  if (exchange->key != public_exchange_key(key)) return std::nullopt;
  exchange->key = key;
  return *exchange;
}

util::Result<std::vector<store::HubObject>> RemoteTier::files_at(store::RepoType type, const store::RepoId& repo_id,
                                                                 const store::CommitId& commit) {
  const auto prefix = files_prefix(type, repo_id, commit);
  const auto cached = [&]() -> std::optional<std::vector<store::HubObject>> {
    std::lock_guard lock(m_mutex);
    if (auto it = m_listings.find(prefix); it != m_listings.end() && fresh(it->second.at)) {
      return it->second.files;
    }
    return std::nullopt;
  };
  if (auto files = cached()) return std::move(*files);
  return m_listing_flights.run(prefix, [&]() -> util::Result<std::vector<store::HubObject>> {
    if (auto files = cached()) return std::move(*files);
    return list_files(type, repo_id, commit, prefix);
  });
}

util::Result<std::vector<store::HubObject>> RemoteTier::list_files(store::RepoType type, const store::RepoId& repo_id,
                                                                   const store::CommitId& commit,
                                                                   const std::string& prefix) {
  const auto started = std::chrono::steady_clock::now();
  bool asked = false;
  auto objects = ask<std::vector<RemoteObject>>(asked, [&] { return m_backend->list(prefix); });
  if (asked) count_request(started);
  if (!objects) {
    if (asked) m_errors.add();
    return tl::unexpected(objects.error());
  }
  std::vector<store::HubObject> out;
  for (const auto& object : *objects) {
    // A key someone else wrote: a path that does not validate names no file.
    auto path = store::RepoPath::parse(std::string_view(object.key).substr(prefix.size()));
    if (!path) {
      m_errors.add();
      continue;
    }
    auto file = find_file({type, repo_id, commit, std::move(*path), {}});
    if (!file && file.error().code == util::Errc::corrupt) {
      m_errors.add();  // one bad row names no file; the others still do
      continue;
    }
    if (!file) return tl::unexpected(file.error());
    if (*file) out.push_back(std::move(**file));
  }
  std::lock_guard lock(m_mutex);
  if (m_listings.size() >= 10'000) m_listings.clear();
  m_listings[prefix] = CachedListing{out, std::chrono::steady_clock::now()};
  return out;
}

util::Result<std::vector<store::Ref>> RemoteTier::refs() {
  bool asked = false;
  auto objects =
      ask<std::vector<RemoteObject>>(asked, [&] { return m_backend->list(std::string(k_refs_prefix)); });
  if (asked) m_requests.add();
  if (!objects) {
    if (asked) m_errors.add();
    return tl::unexpected(objects.error());
  }
  std::vector<store::Ref> out;
  for (const auto& object : *objects) {
    const auto name = parse_ref_key(object.key);
    if (!name) continue;
    auto ref = find_ref(name->type, name->repo_id, name->name);
    if (!ref) return tl::unexpected(ref.error());
    if (*ref) out.push_back(std::move(**ref));
  }
  return out;
}

upstream::FetchRequest RemoteTier::blob_request(const util::Sha256& digest) const {
  return m_backend->fetch_request(blob_key(digest));
}

util::Result<store::BlobReader> RemoteTier::pull_blob(store::Store& store, const util::Sha256& digest,
                                                      std::uint64_t size) {
  auto writer = store.begin_blob();
  if (!writer) return tl::unexpected(writer.error());
  std::uint64_t got = 0;
  const std::function<util::Result<void>(std::span<const std::uint8_t>)> sink =
      [&](std::span<const std::uint8_t> bytes) -> util::Result<void> {
    got += bytes.size();
    return writer->write(bytes);
  };
  bool asked = false;
  auto found = ask<bool>(asked, [&] { return m_backend->get_to(blob_key(digest), sink); });
  if (asked) m_requests.add();
  m_bytes.add(got);
  if (!found) {
    if (asked) m_errors.add();
    return tl::unexpected(found.error());
  }
  if (!*found) {
    return util::fail(util::Errc::corrupt, m_backend->url_of(blob_key(digest)) +
                                               " is missing: the bucket names content it does not hold");
  }
  auto committed = writer->commit({size, digest});
  if (!committed) {
    m_metrics.counter("hubcache_integrity_failures_total", "Upstream bodies refused: wrong length or sha256").add();
    return tl::unexpected(util::with_context(committed.error(), m_backend->url_of(blob_key(digest))));
  }
  return std::move(*committed);
}

util::Result<std::size_t> RemoteTier::read_blob_range(const util::Sha256& digest, std::uint64_t offset,
                                                      std::span<std::uint8_t> out) {
  const auto started = std::chrono::steady_clock::now();
  bool asked = false;
  auto n =
      ask<std::size_t>(asked, [&] { return m_backend->get_range(blob_key(digest), offset, out); });
  if (asked) count_request(started);
  if (!n) {
    if (asked) m_errors.add();
    return tl::unexpected(n.error());
  }
  m_bytes.add(*n);
  return *n;
}

util::Result<bool> pull_exchange(store::Store& store, RemoteTier& remote, const std::string& key) {
  auto found = remote.find_exchange(key);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return false;
  const store::Exchange& exchange = **found;
  if (!exchange.blob) {
    if (auto put = store.put(nullptr, exchange); !put) return tl::unexpected(put.error());
    return true;
  }
  auto local = store.blobs().open(*exchange.blob);
  if (!local) return tl::unexpected(local.error());
  std::optional<store::BlobReader> body = std::move(*local);
  if (!body) {
    auto pulled = remote.pull_blob(store, *exchange.blob, exchange.body_size);
    if (!pulled) return tl::unexpected(pulled.error());
    body = std::move(*pulled);
  }
  if (auto put = store.put(&*body, exchange); !put) return tl::unexpected(put.error());
  return true;
}

} // namespace remote
