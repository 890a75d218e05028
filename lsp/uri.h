// Rekindle language server: `file://` URIs <-> file system paths (RFC 3986 percent-encoding).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rk::lsp {

// The absolute path of a `file:` URI (`file:///a/b%20c` -> `/a/b c`), or nullopt for another
// scheme (`untitled:`) or a malformed URI.
std::optional<std::string> path_from_uri(std::string_view uri);
// The `file://` URI of an absolute path.
std::string uri_from_path(std::string_view path);

}  // namespace rk::lsp
