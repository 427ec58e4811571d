// Editing the app registry on disk without losing anything: `pws apps add`
// and `pws apps remove` change pws.toml while a server may be reading it and
// other pws processes may be editing it too. Every edit locks "<file>.lock"
// (flock), re-reads the file under the lock, transforms its *text* (so that
// comments and formatting elsewhere survive), validates the result with
// parse_config and replaces the file atomically with write_private_file
// (temporary file + rename, mode 0600). A reader therefore sees the old file
// or the new one, never half of one, and concurrent edits never lose each
// other's changes. POSIX only.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "channels/app.hpp"
#include "error/result.hpp"
#include "registry/config.hpp"

namespace pws::registry {

/// What edit_registry_file did.
struct RegistryEdit {
  std::filesystem::path path;  ///< the file written (a symlink resolved to its target)
  bool created = false;        ///< the file did not exist before this edit
  Config config;               ///< the file's new contents, parsed
};

/// The text an edit starts from when the file does not exist yet: the
/// commented header, [server], [statistics] and [metrics] of
/// render_default_config, without any [[apps]].
std::string render_empty_config();

/// Locks "<path>.lock" (created 0600; missing parent directories are created
/// 0700), reads `path` (a missing file reads as render_empty_config()),
/// applies `edit`, checks the result with parse_config and writes it with
/// write_private_file. Nothing is written when `edit` fails or its result is
/// not a valid config (the error names the problem). Waits up to
/// `lock_timeout` for another editor to finish (Errc::Io after that).
/// A symbolic link at `path` is followed: its target is edited, the link kept.
Result<RegistryEdit> edit_registry_file(
    const std::filesystem::path& path, const std::function<Result<std::string>(const std::string& text)>& edit,
    std::chrono::milliseconds lock_timeout = std::chrono::seconds(10));

/// `text` with render_app_block(app) appended after a blank line. `text` must
/// be a valid config (the error is parse_config's, naming `source_name`) and
/// must not already hold an app with the same id or key (Errc::InvalidConfig
/// naming the app that has it).
Result<std::string> append_app_text(std::string_view text, const channels::App& app,
                                    const std::string& source_name = "pws.toml");

/// `text` without the [[apps]] table whose id is `app_id`. Cut: whole lines,
/// from its header line up to the next table header or the end of the file.
/// Comments above the removed header stay (they may be about all the apps); a
/// comment paragraph directly above the next header, set off from the table
/// by a blank line, stays with that header (with one blank line before it
/// when nothing else would separate it); when the table is the last thing in
/// the file, the blank lines before it go with it (so append + remove gives
/// the original text). Everything else is kept byte for byte. `text` must be
/// a valid config; an unknown id is Errc::InvalidConfig ("no app ..."), an
/// app written inline (apps = [{...}]) is refused.
Result<std::string> remove_app_text(std::string_view text, std::string_view app_id,
                                    const std::string& source_name = "pws.toml");

}  // namespace pws::registry
