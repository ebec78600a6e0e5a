#include "io/hdf5handle.h"

namespace vq {

namespace {

struct Innermost {
    std::string text;
};

herr_t takeFirst(unsigned n, const H5E_error2_t* err, void* data)
{
    auto* out = static_cast<Innermost*>(data);
    if (n == 0 && err) {
        // The minor code names the cause ("file signature not found", "truncated file"); desc adds detail.
        char minor[256] = {};
        H5Eget_msg(err->min_num, nullptr, minor, sizeof(minor));
        out->text = minor;
        if (err->desc && *err->desc)
            out->text += out->text.empty() ? err->desc : std::string(" (") + err->desc + ")";
    }
    return 0;
}

} // namespace

std::string hdf5ErrorText()
{
    Innermost innermost;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, takeFirst, &innermost);
    H5Eclear2(H5E_DEFAULT);
    return innermost.text;
}

hid_t hdf5Check(hid_t id, ErrorKind kind, const std::string& path, const std::string& what)
{
    if (id < 0) {
        const std::string detail = hdf5ErrorText();
        throw Error(kind, path, detail.empty() ? what : what + ": " + detail);
    }
    return id;
}

} // namespace vq
