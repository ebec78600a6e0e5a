#pragma once

#include "io/tensorinfo.h"

#include <cstdint>
#include <string>
#include <vector>

namespace vq {

class MappedFile;

// The parsed preamble of a .npy file (format versions 1.0, 2.0 and 3.0).
struct NpyHeader {
    int majorVersion = 0;
    int minorVersion = 0;
    std::string descr; // as written: "<f4", ">f2", "|u1"
    DType dtype = DType::Other;
    int itemSize = 0; // bytes per element
    bool bigEndian = false; // element bytes are big-endian (only meaningful when itemSize > 1)
    bool fortranOrder = false;
    std::vector<int64_t> shape;
    uint64_t dataOffset = 0; // first byte of the array data
    uint64_t elementCount = 0;
};

// Parses and validates the header of file: magic, version, the Python-dict literal (keys descr,
// fortran_order, shape in any order, either quote style, trailing commas, Python 2 "L" suffixes) and
// that the data that follows holds exactly the elements the shape promises. Throws vq::Error naming
// the file: Malformed for a damaged header, Truncated when data or header run past the end,
// Unsupported for object/structured/complex/string arrays, 0-d arrays and unknown versions.
NpyHeader parseNpyHeader(const MappedFile& file);

} // namespace vq
