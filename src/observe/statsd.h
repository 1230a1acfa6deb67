#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/process_stats.h"

// WAL-G's statsd push (WALG_STATSD_ADDRESS, WALG_STATSD_EXTRA_TAGS): at the end of a command, its
// counters as statsd lines with InfluxDB-style tags, "name,tag=value:value|type", several lines
// per UDP datagram separated by "\n" (as WAL-G's buffered statsd client sends them).
namespace walnut::observe {

// The lines WAL-G sends, in its order (by metric name): walg_s3_bytes_read and
// walg_s3_bytes_written (gauges), walg_s3_response_ with a `code` tag per HTTP status seen
// (gauges), walg_uploader_uploaded_files_failed_total and walg_uploader_uploaded_files_total
// (counters). `extra_tags` are appended to every line's tags.
std::vector<std::string> StatsdLines(const stats::Snapshot& snapshot,
                                     const std::map<std::string, std::string>& extra_tags);

// The tags of WALG_STATSD_EXTRA_TAGS (a JSON object; non-string values as their JSON text).
// Throws kInvalidArgument for anything but an object.
std::map<std::string, std::string> ParseStatsdTags(const std::string& json);

// Sends `lines` to `address` ("host:port") over UDP, packed into datagrams of at most 1432
// bytes. Throws Error naming the address when it cannot be resolved or the send fails (UDP
// cannot tell whether anyone listens).
void SendStatsd(const std::string& address, const std::vector<std::string>& lines);

}  // namespace walnut::observe
