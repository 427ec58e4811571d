#include "dashboard/assets.hpp"

namespace pws::dashboard {

std::string_view content_type_for(std::string_view name) {
  struct Type {
    std::string_view extension;
    std::string_view content_type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},     {".svg", "image/svg+xml"},
      {".png", "image/png"},                   {".ico", "image/x-icon"},
      {".json", "application/json"},          {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& type : kTypes)
    if (name.ends_with(type.extension)) return type.content_type;
  return "application/octet-stream";
}

const std::vector<Asset>& embedded_assets() {
  static const std::vector<Asset> assets = [] {
    std::vector<Asset> out;
    for (const RawAsset* raw = raw_embedded_assets(); raw->name != nullptr; ++raw) {
      const std::string_view name(raw->name);
      out.push_back(Asset{name, content_type_for(name),
                          std::string_view(reinterpret_cast<const char*>(raw->data), raw->size)});
    }
    return out;
  }();
  return assets;
}

const Asset* find_asset(std::string_view name) {
  for (const Asset& asset : embedded_assets())
    if (asset.name == name) return &asset;
  return nullptr;
}

}  // namespace pws::dashboard
