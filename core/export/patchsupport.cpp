#include "export/patchsupport.h"

#include "common/error.h"

#include <filesystem>
#include <fstream>

namespace vq::patch {

void checkRequest(
    const std::string& source, const std::string& output, const QuantizedTable& table, const std::string& tensorName)
{
    if (tensorName.empty())
        throw Error(ErrorKind::InvalidArgument, source, "no embedding tensor named to replace");
    if (table.rows <= 0 || table.dim <= 0)
        throw Error(ErrorKind::InvalidArgument, source, "the quantized table is empty");
    if (output.empty())
        throw Error(ErrorKind::WriteFailed, output, "no output path");
}

bool samePath(const std::string& a, const std::string& b)
{
    std::error_code ec;
    return std::filesystem::equivalent(a, b, ec);
}

void checkSameShape(const std::string& file, const TensorInfo& tensor, const QuantizedTable& table)
{
    const std::vector<int64_t> shape { table.rows, table.dim };
    if (tensor.shape != shape)
        throw Error(ErrorKind::InvalidArgument, file,
            "tensor \"" + tensor.name + "\" is not " + std::to_string(table.rows) + " x " + std::to_string(table.dim)
                + " like the quantized table");
}

bool isGgufFile(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return false;
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    return in.read(magic, 4) && std::string(magic, 4) == "GGUF";
}

} // namespace vq::patch
