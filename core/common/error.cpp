#include "common/error.h"

namespace vq {

const char* nameOf(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::NotFound:
        return "not found";
    case ErrorKind::Unreadable:
        return "unreadable";
    case ErrorKind::Empty:
        return "empty";
    case ErrorKind::Truncated:
        return "truncated";
    case ErrorKind::Malformed:
        return "malformed";
    case ErrorKind::Unsupported:
        return "unsupported";
    case ErrorKind::InvalidArgument:
        return "invalid argument";
    case ErrorKind::WriteFailed:
        return "write failed";
    case ErrorKind::Cancelled:
        return "cancelled";
    }
    return "error";
}

static std::string compose(const std::string& path, const std::string& message)
{
    return path.empty() ? message : path + ": " + message;
}

Error::Error(ErrorKind kind, std::string path, std::string message)
    : std::runtime_error(compose(path, message))
    , m_kind(kind)
    , m_path(std::move(path))
    , m_message(std::move(message))
{
}

Cancelled::Cancelled()
    : Error(ErrorKind::Cancelled, {}, "cancelled")
{
}

} // namespace vq
