#include "io/ggufreader.h"

#include "common/error.h"
#include "io/ggmlblocks.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <charconv>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <omp.h>
#include <string_view>

static_assert(std::endian::native == std::endian::little, "GGUF data is read in place: little-endian hosts only");

namespace vq {

namespace {

// The vq::DType a ggml type loads as: the float types and the block types ggml::dequantize reads; the
// integer types are listed as such; the rest (the grid i-quants, q8_1, q8_K, mxfp4, ...) as Other.
DType dtypeOf(ggml::GgmlType type)
{
    using T = ggml::GgmlType;
    switch (type) {
    case T::F32:
        return DType::F32;
    case T::F16:
        return DType::F16;
    case T::BF16:
        return DType::BF16;
    case T::F64:
        return DType::F64;
    case T::Q8_0:
        return DType::Q8_0;
    case T::Q4_0:
        return DType::Q4_0;
    case T::Q4_1:
        return DType::Q4_1;
    case T::Q5_0:
        return DType::Q5_0;
    case T::Q5_1:
        return DType::Q5_1;
    case T::Q2_K:
        return DType::Q2_K;
    case T::Q3_K:
        return DType::Q3_K;
    case T::Q4_K:
        return DType::Q4_K;
    case T::Q5_K:
        return DType::Q5_K;
    case T::Q6_K:
        return DType::Q6_K;
    case T::IQ4_NL:
        return DType::IQ4_NL;
    case T::IQ4_XS:
        return DType::IQ4_XS;
    case T::TQ1_0:
        return DType::TQ1_0;
    case T::TQ2_0:
        return DType::TQ2_0;
    case T::I8:
        return DType::I8;
    case T::I16:
        return DType::I16;
    case T::I32:
        return DType::I32;
    case T::I64:
        return DType::I64;
    default:
        return DType::Other;
    }
}

// gguf_type: the value types of the key/value section.
enum ValueType : uint32_t {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    Bool = 7,
    Str = 8,
    Arr = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12,
};
constexpr const char* kValueTypeNames[]
    = { "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64" };
constexpr uint32_t kValueTypeCount = 13;

// The fewest bytes one value of the type can occupy: bounds array counts before walking them.
uint64_t minValueBytes(uint32_t t)
{
    switch (t) {
    case U8:
    case I8:
    case Bool:
        return 1;
    case U16:
    case I16:
        return 2;
    case U32:
    case I32:
    case F32:
        return 4;
    case U64:
    case I64:
    case F64:
    case Str:
        return 8; // a string's length field
    case Arr:
        return 12; // element type + count
    default:
        return 0;
    }
}

bool fixedSize(uint32_t t)
{
    return t != Str && t != Arr;
}

constexpr int kMaxArrayDepth = 8; // nested arrays deeper than this are not written by anyone
constexpr size_t kShownItems = 8; // array items rendered in metadata()
constexpr size_t kShownChars = 80; // characters of a string shown inside an array

template <class T> std::string numberText(T v)
{
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, r.ptr);
}

std::string quoted(std::string_view s)
{
    std::string out = "\"";
    for (size_t i = 0; i < s.size() && i < kShownChars; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (s.size() > kShownChars)
        out += "...";
    return out + "\"";
}

// Reads the header sequentially; every read is bounds-checked against the mapped file.
class Cursor {
public:
    explicit Cursor(const MappedFile& file)
        : m_file(file)
    {
    }

    uint64_t pos() const { return m_pos; }
    void seek(uint64_t pos) { m_pos = pos; }
    uint64_t remaining() const { return m_file.size() - m_pos; }

    template <class T> T read(const std::string& what)
    {
        const auto b = m_file.bytes(m_pos, sizeof(T), what.c_str());
        T v;
        std::memcpy(&v, b.data(), sizeof(T));
        m_pos += sizeof(T);
        return v;
    }

    void skip(uint64_t n, const std::string& what)
    {
        if (n > remaining())
            throw Error(ErrorKind::Truncated, m_file.path(),
                what + ": " + std::to_string(n) + " bytes at offset " + std::to_string(m_pos)
                    + " run past the end of the file (" + std::to_string(m_file.size()) + " bytes)");
        m_pos += n;
    }

    std::string_view string(const std::string& what)
    {
        const uint64_t n = read<uint64_t>(what);
        const uint64_t start = m_pos;
        if (n > remaining())
            throw Error(ErrorKind::Truncated, m_file.path(),
                what + ": string of " + std::to_string(n) + " bytes at offset " + std::to_string(start)
                    + " runs past the end of the file (" + std::to_string(m_file.size()) + " bytes)");
        m_pos += n;
        return { reinterpret_cast<const char*>(m_file.data() + start), static_cast<size_t>(n) };
    }

private:
    const MappedFile& m_file;
    uint64_t m_pos = 0;
};

struct Value {
    std::string type; // "u32", "arr[str,512]"
    std::string text;
};

class KvParser {
public:
    KvParser(const MappedFile& file, Cursor& cursor)
        : m_file(file)
        , m_cur(cursor)
    {
    }

    void checkType(uint32_t t, const std::string& what)
    {
        if (t >= kValueTypeCount)
            throw Error(ErrorKind::Malformed, m_file.path(),
                what + " has unknown value type " + std::to_string(t) + " (GGUF defines 0 to 12)");
    }

    // Parses one value of type t; renders it when render is set (array items past the first few
    // are only walked).
    Value parse(uint32_t t, const std::string& what, bool render, int depth)
    {
        checkType(t, what);
        Value v;
        v.type = kValueTypeNames[t];
        switch (t) {
        case U8:
            v.text = numberText(m_cur.read<uint8_t>(what));
            break;
        case I8:
            v.text = numberText(m_cur.read<int8_t>(what));
            break;
        case U16:
            v.text = numberText(m_cur.read<uint16_t>(what));
            break;
        case I16:
            v.text = numberText(m_cur.read<int16_t>(what));
            break;
        case U32:
            v.text = numberText(m_cur.read<uint32_t>(what));
            break;
        case I32:
            v.text = numberText(m_cur.read<int32_t>(what));
            break;
        case F32:
            v.text = numberText(m_cur.read<float>(what));
            break;
        case Bool:
            v.text = m_cur.read<uint8_t>(what) != 0 ? "true" : "false";
            break;
        case U64:
            v.text = numberText(m_cur.read<uint64_t>(what));
            break;
        case I64:
            v.text = numberText(m_cur.read<int64_t>(what));
            break;
        case F64:
            v.text = numberText(m_cur.read<double>(what));
            break;
        case Str: {
            const std::string_view s = m_cur.string(what);
            if (render)
                v.text = std::string(s);
            break;
        }
        case Arr:
            v = parseArray(what, render, depth);
            break;
        }
        return v;
    }

    // Position of the first item and the item count of the last array parsed at depth 0.
    uint64_t lastArrayItems = 0;
    uint64_t lastArrayCount = 0;
    uint32_t lastArrayType = 0;

private:
    Value parseArray(const std::string& what, bool render, int depth)
    {
        if (depth >= kMaxArrayDepth)
            throw Error(ErrorKind::Malformed, m_file.path(),
                what + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
        const uint32_t itemType = m_cur.read<uint32_t>(what + " array type");
        checkType(itemType, what + " array item");
        const uint64_t count = m_cur.read<uint64_t>(what + " array count");
        const uint64_t minBytes = minValueBytes(itemType);
        if (count > m_cur.remaining() / minBytes)
            throw Error(ErrorKind::Truncated, m_file.path(),
                what + ": array of " + std::to_string(count) + " " + kValueTypeNames[itemType]
                    + " items cannot fit in the " + std::to_string(m_cur.remaining()) + " bytes left in the file");
        if (depth == 0) {
            lastArrayItems = m_cur.pos();
            lastArrayCount = count;
            lastArrayType = itemType;
        }
        Value v;
        v.type = "arr[" + std::string(kValueTypeNames[itemType]) + "," + std::to_string(count) + "]";
        if (render)
            v.text = "[";
        uint64_t i = 0;
        for (; i < count; ++i) {
            const bool show = render && i < kShownItems;
            if (!show && fixedSize(itemType)) { // the rest in one step
                m_cur.skip((count - i) * minBytes, what);
                break;
            }
            const Value item = parse(itemType, what, show, depth + 1);
            if (show) {
                if (i > 0)
                    v.text += ", ";
                v.text += itemType == Str ? quoted(item.text) : item.text;
            }
        }
        if (render)
            v.text += count > kShownItems ? ", ...]" : "]";
        return v;
    }

    const MappedFile& m_file;
    Cursor& m_cur;
};

bool mulOverflows(uint64_t a, uint64_t b, uint64_t* out)
{
    return __builtin_mul_overflow(a, b, out);
}

} // namespace

GgufReader::GgufReader(std::string path)
    : m_path(std::move(path))
{
    m_file = std::make_unique<MappedFile>(m_path);
    parse();
}

GgufReader::~GgufReader() = default;

std::string GgufReader::formatName() const
{
    return "GGUF v" + std::to_string(m_version);
}

void GgufReader::parse()
{
    const MappedFile& f = *m_file;
    const uint8_t* d = f.data();
    if (f.size() >= 4 && std::memcmp(d, "GGUF", 4) != 0)
        throw Error(ErrorKind::Malformed, m_path, "not a GGUF file (the first bytes are not \"GGUF\")");
    constexpr uint64_t kHeaderBytes = 4 + 4 + 8 + 8;
    if (f.size() < kHeaderBytes)
        throw Error(ErrorKind::Truncated, m_path,
            "too short for a GGUF header: " + std::to_string(f.size()) + " bytes, the header alone needs 24");

    Cursor cur(f);
    cur.seek(4);
    m_version = cur.read<uint32_t>("version");
    if (m_version == 1)
        throw Error(ErrorKind::Unsupported, m_path, "GGUF v1 is not supported (only v2 and v3)");
    if (m_version != 2 && m_version != 3) {
        const uint32_t swapped = __builtin_bswap32(m_version);
        if (swapped >= 1 && swapped <= 3)
            throw Error(ErrorKind::Unsupported, m_path, "big-endian GGUF files are not supported");
        throw Error(m_version == 0 ? ErrorKind::Malformed : ErrorKind::Unsupported, m_path,
            "unknown GGUF version " + std::to_string(m_version) + " (v2 and v3 are supported)");
    }
    const uint64_t tensorCount = cur.read<uint64_t>("tensor count");
    const uint64_t kvCount = cur.read<uint64_t>("metadata count");
    // Each key/value takes at least 13 bytes, each tensor info 32: a corrupt count (or a cut file) fails
    // here, before anything is allocated for it.
    constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
    constexpr uint64_t kMinTensorBytes = 8 + 4 + 8 + 4 + 8;
    if (kvCount > cur.remaining() / kMinKvBytes || tensorCount > cur.remaining() / kMinTensorBytes
        || kvCount * kMinKvBytes + tensorCount * kMinTensorBytes > cur.remaining())
        throw Error(ErrorKind::Truncated, m_path,
            "header counts " + std::to_string(kvCount) + " key/values and " + std::to_string(tensorCount)
                + " tensors, which cannot fit in a file of " + std::to_string(f.size()) + " bytes");

    KvParser kv(f, cur);
    std::unordered_map<std::string, size_t> keys;
    m_metadata.reserve(static_cast<size_t>(kvCount));
    for (uint64_t i = 0; i < kvCount; ++i) {
        const std::string where = "metadata entry " + std::to_string(i);
        std::string key(cur.string(where + " key"));
        const std::string what = "metadata '" + key + "'";
        if (!keys.emplace(key, i).second)
            throw Error(ErrorKind::Malformed, m_path, "duplicate metadata key '" + key + "'");
        const uint32_t type = cur.read<uint32_t>(what + " type");
        kv.checkType(type, what);
        const uint64_t valuePos = cur.pos();
        Value v = kv.parse(type, what, true, 0);
        if (key == "general.alignment") {
            if (type != U32)
                throw Error(ErrorKind::Malformed, m_path, "general.alignment is " + v.type + ", expected u32");
            uint32_t a = 0;
            std::memcpy(&a, f.data() + valuePos, 4);
            if (a == 0 || (a & (a - 1)) != 0)
                throw Error(
                    ErrorKind::Malformed, m_path, "general.alignment " + std::to_string(a) + " is not a power of two");
            m_alignment = a;
        }
        if (key == "tokenizer.ggml.tokens" && type == Arr && kv.lastArrayType == Str) {
            m_hasTokens = true;
            m_tokensPos = kv.lastArrayItems;
            m_tokensCount = kv.lastArrayCount;
        }
        m_metadata.push_back({ std::move(key), std::move(v.type), std::move(v.text) });
        m_valueRanges.push_back({ type, valuePos, cur.pos() - valuePos });
    }

    if (tensorCount > cur.remaining() / kMinTensorBytes)
        throw Error(ErrorKind::Truncated, m_path,
            std::to_string(tensorCount) + " tensor infos cannot fit in the " + std::to_string(cur.remaining())
                + " bytes after the metadata");
    m_tensors.reserve(static_cast<size_t>(tensorCount));
    m_stored.reserve(static_cast<size_t>(tensorCount));
    std::vector<uint64_t> relative;
    relative.reserve(static_cast<size_t>(tensorCount));
    for (uint64_t i = 0; i < tensorCount; ++i) {
        TensorInfo t;
        t.name = std::string(cur.string("tensor info " + std::to_string(i) + " name"));
        const std::string what = "tensor '" + t.name + "'";
        if (m_index.count(t.name))
            throw Error(ErrorKind::Malformed, m_path, "duplicate tensor name '" + t.name + "'");
        const uint32_t nDims = cur.read<uint32_t>(what + " dimension count");
        if (nDims == 0 || nDims > 4)
            throw Error(ErrorKind::Malformed, m_path,
                what + " has " + std::to_string(nDims) + " dimensions (GGUF allows 1 to 4)");
        std::vector<uint64_t> ne(nDims);
        uint64_t elements = 1;
        for (uint32_t k = 0; k < nDims; ++k) {
            ne[k] = cur.read<uint64_t>(what + " dimensions");
            if (ne[k] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                || mulOverflows(elements, ne[k], &elements)
                || elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                throw Error(ErrorKind::Malformed, m_path, what + " has an impossibly large shape");
        }
        Stored s;
        s.ggmlType = cur.read<uint32_t>(what + " type");
        const uint64_t rel = cur.read<uint64_t>(what + " offset");
        const ggml::TypeTraits* gt = ggml::findType(s.ggmlType);
        t.dtype = gt ? dtypeOf(gt->type) : DType::Other;
        t.dtypeName = gt ? gt->name : "ggml type " + std::to_string(s.ggmlType);
        for (uint32_t k = nDims; k-- > 0;)
            t.shape.push_back(static_cast<int64_t>(ne[k]));
        t.file = m_path;
        if (gt) {
            if (ne[0] % static_cast<uint64_t>(gt->blockValues) != 0)
                throw Error(ErrorKind::Malformed, m_path,
                    what + " has rows of " + std::to_string(ne[0]) + " values, not a multiple of the " + gt->name
                        + " block size " + std::to_string(gt->blockValues));
            if (mulOverflows(elements / static_cast<uint64_t>(gt->blockValues), gt->blockBytes, &t.byteSize))
                throw Error(ErrorKind::Malformed, m_path, what + " has an impossibly large size");
            s.sizeKnown = true;
        }
        if (rel % m_alignment != 0)
            throw Error(ErrorKind::Malformed, m_path,
                what + " data offset " + std::to_string(rel) + " is not a multiple of the alignment "
                    + std::to_string(m_alignment));
        m_index.emplace(t.name, m_tensors.size());
        m_tensors.push_back(std::move(t));
        m_stored.push_back(s);
        relative.push_back(rel);
    }

    m_dataOffset = (cur.pos() + m_alignment - 1) / m_alignment * m_alignment;
    for (size_t i = 0; i < m_tensors.size(); ++i) {
        const TensorInfo& t = m_tensors[i];
        const uint64_t rel = relative[i];
        const bool inside
            = m_dataOffset <= f.size() && rel <= f.size() - m_dataOffset && t.byteSize <= f.size() - m_dataOffset - rel;
        if (!inside)
            throw Error(ErrorKind::Truncated, m_path,
                "tensor '" + t.name + "' data (" + std::to_string(t.byteSize) + " bytes at offset "
                    + std::to_string(m_dataOffset) + " + " + std::to_string(rel) + ") runs past the end of the file ("
                    + std::to_string(f.size()) + " bytes)");
        m_stored[i].offset = m_dataOffset + rel;
    }
}

const TensorInfo& GgufReader::lookup(const std::string& name, const Stored** stored) const
{
    const auto it = m_index.find(name);
    if (it == m_index.end())
        throw Error(ErrorKind::NotFound, m_path, "no tensor named '" + name + "'");
    *stored = &m_stored[it->second];
    return m_tensors[it->second];
}

std::span<const uint8_t> GgufReader::tensorBytes(const std::string& name) const
{
    const Stored* s = nullptr;
    const TensorInfo& t = lookup(name, &s);
    if (!s->sizeKnown)
        throw Error(ErrorKind::Unsupported, m_path,
            "tensor '" + name + "' has " + t.dtypeName + ", whose storage size is unknown");
    return m_file->bytes(s->offset, t.byteSize, "tensor data");
}

uint32_t GgufReader::ggmlTypeId(const std::string& name) const
{
    const Stored* s = nullptr;
    lookup(name, &s);
    return s->ggmlType;
}

GgufReader::RawValue GgufReader::rawValue(size_t index) const
{
    const ValueRange& r = m_valueRanges.at(index);
    return { r.type, m_file->bytes(r.offset, r.length, "metadata value") };
}

Matrix GgufReader::readMatrix(const std::string& name, RunControl& control) const
{
    const Stored* s = nullptr;
    const TensorInfo& t = lookup(name, &s);
    if (!t.isMatrix())
        throw Error(ErrorKind::InvalidArgument, m_path,
            "tensor '" + name + "' has " + std::to_string(t.shape.size()) + " dimensions, a table needs 2");
    const ggml::TypeTraits* type = ggml::findType(s->ggmlType);
    if (!type || !type->dequantizable)
        throw Error(ErrorKind::Unsupported, m_path, "tensor '" + name + "' " + unloadableReason(t));

    const int64_t rows = t.shape[0];
    const int64_t cols = t.shape[1];
    Matrix m(rows, cols);
    if (m.empty())
        return m;
    const std::span<const uint8_t> all = m_file->bytes(s->offset, t.byteSize, "tensor data");
    const uint64_t rowBytes = t.byteSize / static_cast<uint64_t>(rows);
    // About 1 MiB of input per chunk: enough work per task, frequent enough progress and cancel checks.
    const int64_t chunkRows = std::max<int64_t>(1, static_cast<int64_t>((uint64_t(1) << 20) / rowBytes));
    const int64_t chunks = (rows + chunkRows - 1) / chunkRows;
    // No more threads than chunks: a small tensor is converted without waking a team.
    const int threads
        = static_cast<int>(std::min<int64_t>(chunks, control.threads > 0 ? control.threads : omp_get_max_threads()));
    std::atomic<int64_t> done { 0 };
    std::exception_ptr failure;
    std::mutex failureMutex;
    control.report("read", 0.0);
#pragma omp parallel for schedule(dynamic) num_threads(threads)
    for (int64_t c = 0; c < chunks; ++c) {
        if (control.cancelled())
            continue;
        const int64_t r0 = c * chunkRows;
        const int64_t r1 = std::min(rows, r0 + chunkRows);
        const uint64_t begin = static_cast<uint64_t>(r0) * rowBytes;
        const uint64_t length = static_cast<uint64_t>(r1 - r0) * rowBytes;
        const uint8_t* src = all.data() + begin;
        float* dst = m.row(r0);
        const size_t n = static_cast<size_t>((r1 - r0) * cols);
        try {
            ggml::dequantize(type->type, { src, static_cast<size_t>(length) }, { dst, n });
        } catch (...) {
            const std::lock_guard lock(failureMutex);
            if (!failure)
                failure = std::current_exception();
        }
        m_file->release(s->offset + begin, length);
        const int64_t finished = done.fetch_add(1, std::memory_order_relaxed) + 1;
        control.report("read", static_cast<double>(finished) / static_cast<double>(chunks));
    }
    if (failure)
        std::rethrow_exception(failure);
    control.throwIfCancelled();
    return m;
}

std::vector<std::string> GgufReader::embeddedTokens(std::string* source) const
{
    std::vector<std::string> tokens;
    if (source)
        source->clear();
    if (!m_hasTokens)
        return tokens;
    Cursor cur(*m_file);
    cur.seek(m_tokensPos);
    tokens.reserve(static_cast<size_t>(m_tokensCount));
    for (uint64_t i = 0; i < m_tokensCount; ++i)
        tokens.emplace_back(cur.string("tokenizer.ggml.tokens"));
    if (source)
        *source = "GGUF tokenizer.ggml.tokens";
    return tokens;
}

} // namespace vq
