// libFuzzer target: the TOML registry loader (toml++ plus every validation
// of pws.toml), which must turn any text into either a Config or an error
// naming the problem, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "registry/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = pws::registry::parse_config(text, "fuzz.toml");
  if (config) {
    // The rendered app blocks must parse again (pws apps add appends them).
    for (const auto& app : config->apps) (void)pws::registry::render_app_block(app);
  }
  return 0;
}
