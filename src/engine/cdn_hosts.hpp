// Which origins an engine's fetcher may reach: the upstream and its dataset viewer exactly,
// the Hub's CDN hosts when the upstream is the Hub, and what --allow-host adds.
#pragma once

#include "upstream/allow_list.hpp"
#include "upstream/url.hpp"

#include <string>

namespace engine {

// The dataset viewer `datasets` asks at datasets-server.<HF_ENDPOINT host>: `given` (a URL,
// --dataset-viewer) or, when empty, https://datasets-server.<upstream host>. Path "/", no query.
// Errc::invalid_argument: `given` is not a URL.
util::Result<upstream::Url> dataset_viewer(const upstream::Url& upstream, const std::string& given);

// Whether `upstream` is huggingface.co (or a host under it): its LFS and Xet bodies come from
// the CDN hosts below, followed without --allow-host.
bool is_hub(const upstream::Url& upstream);

// The Hub's CDN hosts, as origin patterns ("https://*.huggingface.co", "https://*.hf.co").
upstream::AllowList hub_cdn_hosts();

// `allow_hosts`, then the upstream's and the viewer's origins exactly (not the other ports of
// their hosts: issue 14), then the CDN hosts when the upstream is the Hub.
upstream::AllowList fetch_allow_list(const upstream::AllowList& allow_hosts,
                                     const upstream::Url& upstream, const upstream::Url& viewer);

} // namespace engine
