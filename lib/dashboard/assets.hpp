// The dashboard page's files, embedded in the binary at build time
// (embed_assets.cmake): users run pws on private networks, so the page can
// never depend on a CDN or on files beside the binary.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace pws::dashboard {

struct Asset {
  std::string_view name;          ///< file name in lib/dashboard/assets/, e.g. "app.js"
  std::string_view content_type;  ///< from the extension
  std::string_view body;
};

/// Every embedded file, sorted by name.
const std::vector<Asset>& embedded_assets();

/// The file called exactly `name`; null for any other name (so no path,
/// "..", or encoded trick can reach anything else).
const Asset* find_asset(std::string_view name);

/// "text/html; charset=utf-8" etc.; "application/octet-stream" when unknown.
std::string_view content_type_for(std::string_view name);

/// Generated: a table ending with a null name.
struct RawAsset {
  const char* name;
  const unsigned char* data;
  std::size_t size;
};
const RawAsset* raw_embedded_assets() noexcept;

}  // namespace pws::dashboard
