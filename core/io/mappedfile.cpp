#include "io/mappedfile.h"

#include "common/error.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vq {

MappedFile::MappedFile(std::string path)
    : m_path(std::move(path))
{
    struct stat st {};
    if (::stat(m_path.c_str(), &st) != 0) {
        const int err = errno;
        throw Error(err == ENOENT ? ErrorKind::NotFound : ErrorKind::Unreadable, m_path, std::strerror(err));
    }
    if (S_ISDIR(st.st_mode))
        throw Error(ErrorKind::Unreadable, m_path, "is a directory, not a file");
    if (!S_ISREG(st.st_mode))
        throw Error(ErrorKind::Unreadable, m_path, "is not a regular file");
    const int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(ErrorKind::Unreadable, m_path, std::string("cannot open: ") + std::strerror(errno));
    m_size = static_cast<uint64_t>(st.st_size);
    if (m_size == 0) {
        ::close(fd);
        throw Error(ErrorKind::Empty, m_path, "file is empty (0 bytes)");
    }
    void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);
    if (p == MAP_FAILED)
        throw Error(ErrorKind::Unreadable, m_path, std::string("cannot map: ") + std::strerror(err));
    m_data = static_cast<const uint8_t*>(p);
    ::madvise(p, m_size, MADV_SEQUENTIAL);
}

MappedFile::~MappedFile()
{
    if (m_data)
        ::munmap(const_cast<uint8_t*>(m_data), m_size);
}

std::span<const uint8_t> MappedFile::bytes(uint64_t offset, uint64_t length, const char* what) const
{
    if (offset > m_size || length > m_size - offset) {
        throw Error(ErrorKind::Truncated, m_path,
            std::string(what) + " needs bytes up to " + std::to_string(offset + length) + ", but the file has only "
                + std::to_string(m_size));
    }
    return { m_data + offset, static_cast<size_t>(length) };
}

void MappedFile::release(uint64_t offset, uint64_t length) const
{
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const uint64_t begin = (offset + page - 1) / page * page; // only whole pages inside the range
    const uint64_t end = std::min(offset + length, m_size) / page * page;
    if (end > begin)
        ::madvise(const_cast<uint8_t*>(m_data) + begin, end - begin, MADV_DONTNEED);
}

} // namespace vq
