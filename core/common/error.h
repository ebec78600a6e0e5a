#pragma once

#include <stdexcept>
#include <string>

namespace vq {

// What went wrong, coarse enough for a caller to branch on (CLI exit codes, GUI icons).
enum class ErrorKind {
    NotFound, // path does not exist, tensor/dataset name not in file
    Unreadable, // permission denied, a directory where a file was expected, I/O error while reading
    Empty, // zero-byte file
    Truncated, // file shorter than its header says
    Malformed, // header or JSON that does not parse, offsets out of range, inconsistent sizes
    Unsupported, // valid file, but a dtype/layout/version we do not read
    InvalidArgument, // a parameter or request that makes no sense (shape, name, range)
    WriteFailed, // could not write an output (full disk, permissions); the target is left untouched
    Cancelled, // the caller's cancel flag was raised
};

// Named nameOf, not toString: QtTest would pick a toString() found by ADL and free its result.
const char* nameOf(ErrorKind kind);

// Every error vqscope reports: the file (or "" when no file is involved) and what is wrong with it.
// what() reads "<path>: <message>" so it can be shown as is.
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string path, std::string message);

    ErrorKind kind() const noexcept { return m_kind; }
    const std::string& path() const noexcept { return m_path; }
    const std::string& message() const noexcept { return m_message; }

private:
    ErrorKind m_kind;
    std::string m_path;
    std::string m_message;
};

// Thrown by RunControl::throwIfCancelled(); callers treat it as a clean stop, not a failure.
class Cancelled : public Error {
public:
    Cancelled();
};

} // namespace vq
