// Internal to lib/registry: the file plumbing that write_private_file,
// edit_registry_file and load_config share. Not part of the registry's API
// (config.hpp and registry_file.hpp are); POSIX only.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "error/result.hpp"

namespace pws::registry::detail {

/// Errc::Io "cannot <what> <path>: <strerror(err)>".
Error io_error(const std::string& what, const std::filesystem::path& path, int err);

/// Creates the missing directories of `dir`, each 0700 (they may end up
/// holding secrets only). Existing ones are left as they are.
Status create_private_directories(const std::filesystem::path& dir);

/// The whole text of the config file `path`; nullopt when it does not exist.
/// Errors: "cannot open config file P: ..." / "cannot read config file P: ...".
Result<std::optional<std::string>> read_config_text(const std::filesystem::path& path);

}  // namespace pws::registry::detail
