#include "io/shardedsafetensorsreader.h"

#include "common/error.h"
#include "io/mappedfile.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>

namespace vq {

namespace {

using Json = nlohmann::ordered_json;

MetadataEntry metadataEntry(const std::string& key, const Json& value)
{
    if (value.is_string())
        return { key, "str", value.get<std::string>() };
    if (value.is_number_integer())
        return { key, "int", value.dump() };
    if (value.is_number_float())
        return { key, "float", value.dump() };
    if (value.is_boolean())
        return { key, "bool", value.dump() };
    return { key, "json", value.dump() };
}

// Shard names are file names beside the index; refusing absolute paths and ".." keeps a crafted
// index from pointing the reader at arbitrary files.
bool isPlainRelative(const std::filesystem::path& p)
{
    if (p.empty() || p.is_absolute())
        return false;
    for (const auto& part : p) {
        if (part == "..")
            return false;
    }
    return true;
}

} // namespace

ShardedSafetensorsReader::ShardedSafetensorsReader(std::string indexPath)
    : m_path(std::move(indexPath))
{
    Json index;
    {
        const MappedFile file(m_path);
        const auto bytes = file.bytes(0, file.size(), "the index");
        if (std::memchr(bytes.data(), 0, bytes.size()) != nullptr)
            throw Error(ErrorKind::Malformed, m_path, "index is not valid JSON: it contains a NUL byte");
        try {
            index = Json::parse(bytes.begin(), bytes.end());
        } catch (const Json::exception& e) {
            throw Error(ErrorKind::Malformed, m_path, std::string("index is not valid JSON: ") + e.what());
        }
    }
    if (!index.is_object())
        throw Error(ErrorKind::Malformed, m_path, "index is not a JSON object");
    const auto mapIt = index.find("weight_map");
    if (mapIt == index.end() || !mapIt->is_object())
        throw Error(ErrorKind::Malformed, m_path, "index has no \"weight_map\" object");
    if (mapIt->empty())
        throw Error(ErrorKind::Malformed, m_path, "index's \"weight_map\" is empty");
    if (const auto metaIt = index.find("metadata"); metaIt != index.end()) {
        if (!metaIt->is_object())
            throw Error(ErrorKind::Malformed, m_path, "index's \"metadata\" is not a JSON object");
        for (const auto& [key, value] : metaIt->items())
            m_metadata.push_back(metadataEntry(key, value));
    }

    const std::filesystem::path folder = std::filesystem::path(m_path).parent_path();
    std::map<std::string, size_t> shardIndex; // shard name as written -> index into m_shards
    for (const auto& [tensor, shardValue] : mapIt->items()) {
        if (!shardValue.is_string())
            throw Error(ErrorKind::Malformed, m_path, "weight_map entry of \"" + tensor + "\" is not a file name");
        const std::string shardName = shardValue.get<std::string>();
        if (!isPlainRelative(shardName)) {
            throw Error(ErrorKind::Malformed, m_path,
                "weight_map names shard \"" + shardName + "\", which is not a file beside the index");
        }
        auto it = shardIndex.find(shardName);
        if (it == shardIndex.end()) {
            const std::string shardPath = (folder / shardName).string();
            try {
                m_shards.push_back(std::make_unique<SafetensorsReader>(shardPath));
            } catch (const Error& e) {
                if (e.kind() != ErrorKind::NotFound)
                    throw;
                throw Error(ErrorKind::NotFound, m_path,
                    "shard " + shardPath + " (holding \"" + tensor + "\") is listed in the index but does not exist");
            }
            it = shardIndex.emplace(shardName, m_shards.size() - 1).first;
        }
        const SafetensorsReader& shard = *m_shards[it->second];
        const TensorInfo* info = nullptr;
        for (const TensorInfo& t : shard.tensors()) {
            if (t.name == tensor) {
                info = &t;
                break;
            }
        }
        if (!info) {
            throw Error(ErrorKind::Malformed, m_path,
                "weight_map puts \"" + tensor + "\" in " + shard.path() + ", but that shard has no such tensor");
        }
        m_shardOfTensor.emplace(tensor, it->second);
        m_tensors.push_back(*info);
    }

    for (const auto& shard : m_shards) {
        for (const MetadataEntry& e : shard->metadata()) {
            bool present = false;
            for (const MetadataEntry& have : m_metadata)
                present = present || have.key == e.key;
            if (!present)
                m_metadata.push_back(e);
        }
    }
}

const SafetensorsReader& ShardedSafetensorsReader::shardOf(const std::string& name) const
{
    const auto it = m_shardOfTensor.find(name);
    if (it == m_shardOfTensor.end())
        throw Error(ErrorKind::NotFound, m_path, "no tensor named \"" + name + "\" in the weight map");
    return *m_shards[it->second];
}

std::vector<std::string> ShardedSafetensorsReader::shardPaths() const
{
    std::vector<std::string> paths;
    for (const auto& s : m_shards)
        paths.push_back(s->path());
    return paths;
}

Matrix ShardedSafetensorsReader::readMatrix(const std::string& name, RunControl& control) const
{
    return shardOf(name).readMatrix(name, control);
}

} // namespace vq
