#pragma once

#include <map>
#include <string>
#include <string_view>

namespace walnut::s3 {

// The AWS shared credentials and config files: "[section]" headers and "key = value" lines, as
// botocore and the AWS SDKs read them. Untrusted input (tests/fuzz/aws_ini_fuzz.cc).
using IniSection = std::map<std::string, std::string, std::less<>>;
using IniFile = std::map<std::string, IniSection, std::less<>>;

// Parses `text`. Section names and keys are trimmed (keys lower-cased, as the SDKs match them);
// comments start with '#' or ';' at the start of a line or after whitespace; an indented line
// continues the previous value (the config file's nested "s3 =" blocks), and is kept as
// "\n"-joined text. A section given twice is merged, later keys winning. Throws
// Error(kInvalidArgument) "<path>:<line>: <problem>" for a line that is neither a header, a
// key = value pair, a continuation, a comment nor blank, or a key before any section. Never
// quotes a value in the message: the file holds secrets.
IniFile ParseIni(std::string_view text, std::string_view path);

}  // namespace walnut::s3
