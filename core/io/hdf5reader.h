#pragma once

#include "io/tensorreader.h"

#include <memory>
#include <string>
#include <vector>

namespace vq {

// An HDF5 file (any version the system libhdf5 reads). tensors() lists every dataset, recursively, by
// full path ("/model/embed_tokens/weight"), with its shape, dtype (F16/F32/F64 for float classes of
// 2/4/8 bytes, integer types, String for string types, Other for the rest; dtypeName names the HDF5
// type, e.g. "H5T_IEEE_F32LE") and stored size. metadata() renders the root group's attributes.
//
// readMatrix reads a 2-D dataset of any float class (HDF5 converts to native float32; chunked and
// compressed layouts work) in blocks of rows, reporting stage "read" and checking cancel between
// blocks. embeddedTokens returns a 1-D string dataset (variable- or fixed-length, UTF-8 or ASCII),
// preferring one named vocab, tokens or vocabulary; source is its path.
//
// All HDF5 calls hold the process-wide Hdf5Lock, so readers on different threads are safe (but
// serialised). HDF5 failures become vq::Error naming the file and the dataset.
class Hdf5Reader : public TensorReader {
public:
    explicit Hdf5Reader(std::string path);
    ~Hdf5Reader() override;

    const std::string& path() const override { return m_path; }
    std::string formatName() const override { return "HDF5"; }
    const std::vector<TensorInfo>& tensors() const override { return m_tensors; }
    const std::vector<MetadataEntry>& metadata() const override { return m_metadata; }
    Matrix readMatrix(const std::string& name, RunControl& control) const override;
    std::vector<std::string> embeddedTokens(std::string* source) const override;

    // All strings of a 1-D string dataset, in order. Throws InvalidArgument when it is not one.
    std::vector<std::string> readStrings(const std::string& name) const;

private:
    struct Handles;

    const TensorInfo& lookup(const std::string& name) const;

    std::string m_path;
    std::unique_ptr<Handles> m_handles;
    std::vector<TensorInfo> m_tensors;
    std::vector<MetadataEntry> m_metadata;
};

} // namespace vq
