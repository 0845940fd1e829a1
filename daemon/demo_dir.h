#pragma once

#include <string>

#include "common/status.h"

namespace divaudit::daemon {

// The file `divaudit demo` leaves in every directory it creates; its presence is what makes a
// directory the demo's own.
inline constexpr char kDemoMarkerFile[] = ".divaudit-demo";

// Makes `dir` ready for `divaudit demo --dir`: creates it (0700, with the marker file) when it
// does not exist, marks it when it is empty, and accepts it when an earlier demo created it (the
// marker is there). Any other directory is refused, whatever the flags: one that holds files
// (a real installation's config, client secret or database would be overwritten, and the demo's
// sweeps would resolve its findings) or that is not a directory. Errors: kFailedPrecondition
// (refused; the message names the directory and why), kInvalidArgument (not a directory),
// kInternal (cannot create or mark it). Not thread-safe with respect to the directory.
Status PrepareDemoDirectory(const std::string& dir);

}  // namespace divaudit::daemon
