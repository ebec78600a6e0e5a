#pragma once

#include "io/mappedfile.h"
#include "io/npyheader.h"
#include "io/tensorreader.h"

namespace vq {

// A NumPy .npy file (format 1.0/2.0/3.0): one array, listed under the file's stem ("glove-20k" for
// glove-20k.npy). float16/32/64 in either byte order and in C or Fortran order load as tables;
// integer and bool arrays are listed but refused by readMatrix() (Unsupported). The file stays
// memory-mapped while the reader lives.
class NpyReader : public TensorReader {
public:
    // Parses the header; throws vq::Error naming the file (see parseNpyHeader()).
    explicit NpyReader(std::string path);

    const std::string& path() const override { return m_path; }
    std::string formatName() const override { return "NumPy"; }
    const std::vector<TensorInfo>& tensors() const override { return m_tensors; }
    const std::vector<MetadataEntry>& metadata() const override { return m_metadata; }
    // Converts in parallel chunks (OpenMP, control.threads), transposing Fortran-ordered data.
    Matrix readMatrix(const std::string& name, RunControl& control) const override;

    const NpyHeader& header() const { return m_header; }

private:
    std::string m_path;
    MappedFile m_file;
    NpyHeader m_header;
    std::vector<TensorInfo> m_tensors;
    std::vector<MetadataEntry> m_metadata;
};

} // namespace vq
