#pragma once

#include "io/safetensorsreader.h"
#include "io/tensorreader.h"

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace vq {

// A Hugging Face checkpoint split over several .safetensors files, opened through its
// model.safetensors.index.json ({"metadata": {...}, "weight_map": {tensor: shard file}}).
//
// The constructor opens every shard the weight map names (relative to the index's folder) and checks
// that each tensor is really in the shard the map says. A missing shard is NotFound naming the shard and
// the index; a broken shard throws the shard's own error (naming the shard). tensors() lists the weight
// map's tensors in its order, TensorInfo::file being the shard's path. metadata() holds the index's
// "metadata" followed by the shards' __metadata__ keys not already present. Not thread-safe.
class ShardedSafetensorsReader : public TensorReader {
public:
    explicit ShardedSafetensorsReader(std::string indexPath);

    const std::string& path() const override { return m_path; }
    std::string formatName() const override { return "safetensors (sharded)"; }
    const std::vector<TensorInfo>& tensors() const override { return m_tensors; }
    const std::vector<MetadataEntry>& metadata() const override { return m_metadata; }

    // Delegates to the shard holding name (errors about the data name the shard).
    Matrix readMatrix(const std::string& name, RunControl& control) const override;

    // The reader of the shard holding name; throws NotFound for an unknown name.
    const SafetensorsReader& shardOf(const std::string& name) const;
    // Shard file paths, in the order first named by the weight map.
    std::vector<std::string> shardPaths() const;

private:
    std::string m_path;
    std::vector<std::unique_ptr<SafetensorsReader>> m_shards;
    std::unordered_map<std::string, size_t> m_shardOfTensor; // tensor name -> index into m_shards
    std::vector<TensorInfo> m_tensors;
    std::vector<MetadataEntry> m_metadata;
};

} // namespace vq
