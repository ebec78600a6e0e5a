// vqscope-probe: parses one HDF5 file the way the application would, in a process of its own, so that a
// crash or hang inside libhdf5 on a damaged file costs this process and not the user's session. Run by
// vq::probeHdf5File; prints nothing on success. Exit codes: 0 parsed cleanly, 1 refused (stderr:
// "<error kind>\t<message>"), 2 usage, 3 out of memory under the address-space limit; a crash is a signal.
#include "common/error.h"
#include "run/hdf5probe.h"

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <sys/resource.h>

namespace {

bool startsWith(const std::string& s, const char* prefix)
{
    return s.rfind(prefix, 0) == 0;
}

} // namespace

int main(int argc, char** argv)
{
    std::string path;
    std::string tensor;
    unsigned long long maxMemory = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--" && i + 2 == argc) {
            path = argv[i + 1];
            break;
        }
        if (startsWith(a, "--max-memory="))
            maxMemory = std::strtoull(a.c_str() + 13, nullptr, 10);
        else if (startsWith(a, "--tensor="))
            tensor = a.substr(9);
        else if (i + 1 == argc && !startsWith(a, "--"))
            path = a;
        else {
            std::fprintf(stderr, "usage: vqscope-probe [--max-memory=BYTES] [--tensor=NAME] [--] FILE\n");
            return 2;
        }
    }
    if (path.empty()) {
        std::fprintf(stderr, "usage: vqscope-probe [--max-memory=BYTES] [--tensor=NAME] [--] FILE\n");
        return 2;
    }
#if !defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer reserves terabytes of shadow address space, so the limit is left off in that build.
    if (maxMemory > 0) {
        const rlimit limit { maxMemory, maxMemory };
        setrlimit(RLIMIT_AS, &limit);
    }
#else
    (void)maxMemory;
#endif
    try {
        vq::parseHdf5AsTheAppWould(path, tensor);
    } catch (const vq::Error& e) {
        std::fprintf(stderr, "%s\t%s\n", vq::nameOf(e.kind()), e.message().c_str());
        return 1;
    } catch (const std::bad_alloc&) {
        return 3;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\t%s\n", vq::nameOf(vq::ErrorKind::Malformed), e.what());
        return 1;
    }
    return 0;
}
