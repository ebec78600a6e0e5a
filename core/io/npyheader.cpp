#include "io/npyheader.h"

#include "common/error.h"
#include "io/mappedfile.h"

#include <bit>
#include <cstring>
#include <map>
#include <memory>
#include <variant>

namespace vq {

namespace {

constexpr uint8_t kMagic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };

// The subset of Python literals numpy writes into a header: str, int, bool, None, tuple, list, dict.
struct PyValue;
using PyList = std::vector<PyValue>;
using PyDict = std::vector<std::pair<std::string, PyValue>>;
struct PyNone { };
struct PyValue {
    std::variant<PyNone, std::string, int64_t, bool, std::shared_ptr<PyList>, std::shared_ptr<PyDict>> v;
};

class LiteralParser {
public:
    LiteralParser(std::string_view text, const std::string& path)
        : m_text(text)
        , m_path(path)
    {
    }

    PyValue parseDocument()
    {
        PyValue value = parseValue(0);
        skipSpace();
        if (m_pos != m_text.size())
            fail("unexpected text after the header dictionary");
        return value;
    }

private:
    [[noreturn]] void fail(const std::string& what) const
    {
        throw Error(ErrorKind::Malformed, m_path,
            "cannot parse the NumPy header: " + what + " at character " + std::to_string(m_pos) + " of \""
                + std::string(m_text.substr(0, 200)) + "\"");
    }

    void skipSpace()
    {
        while (m_pos < m_text.size()
            && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' || m_text[m_pos] == '\n' || m_text[m_pos] == '\r'))
            ++m_pos;
    }

    bool consume(char c)
    {
        skipSpace();
        if (m_pos < m_text.size() && m_text[m_pos] == c) {
            ++m_pos;
            return true;
        }
        return false;
    }

    PyValue parseValue(int depth)
    {
        if (depth > 16)
            fail("nesting too deep");
        skipSpace();
        if (m_pos >= m_text.size())
            fail("unexpected end");
        const char c = m_text[m_pos];
        if (c == '{')
            return parseDict(depth);
        if (c == '(' || c == '[')
            return parseSequence(depth, c == '(' ? ')' : ']');
        if (c == '\'' || c == '"')
            return { parseString() };
        if (c == '-' || (c >= '0' && c <= '9'))
            return { parseInt() };
        for (const auto& [word, value] : { std::pair<std::string_view, PyValue> { "True", PyValue { true } },
                 { "False", PyValue { false } }, { "None", PyValue { PyNone {} } } }) {
            if (m_text.substr(m_pos, word.size()) == word) {
                m_pos += word.size();
                return value;
            }
        }
        fail(std::string("unexpected character '") + c + "'");
    }

    std::string parseString()
    {
        const char quote = m_text[m_pos++];
        std::string out;
        while (m_pos < m_text.size() && m_text[m_pos] != quote) {
            char c = m_text[m_pos++];
            if (c == '\\') {
                if (m_pos >= m_text.size())
                    fail("unterminated string");
                c = m_text[m_pos++];
            }
            out.push_back(c);
        }
        if (m_pos >= m_text.size())
            fail("unterminated string");
        ++m_pos;
        return out;
    }

    int64_t parseInt()
    {
        const size_t start = m_pos;
        bool negative = false;
        if (m_text[m_pos] == '-') {
            negative = true;
            ++m_pos;
        }
        if (m_pos >= m_text.size() || m_text[m_pos] < '0' || m_text[m_pos] > '9')
            fail("expected a digit");
        int64_t value = 0;
        while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') {
            if (__builtin_mul_overflow(value, int64_t(10), &value)
                || __builtin_add_overflow(value, int64_t(m_text[m_pos] - '0'), &value)) {
                m_pos = start;
                fail("integer too large");
            }
            ++m_pos;
        }
        if (m_pos < m_text.size() && (m_text[m_pos] == 'L' || m_text[m_pos] == 'l'))
            ++m_pos; // Python 2 long literal, written by old numpy versions
        return negative ? -value : value;
    }

    PyValue parseSequence(int depth, char close)
    {
        ++m_pos;
        auto list = std::make_shared<PyList>();
        while (!consume(close)) {
            list->push_back(parseValue(depth + 1));
            if (!consume(',')) {
                if (!consume(close))
                    fail(std::string("expected ',' or '") + close + "'");
                break;
            }
        }
        return { list };
    }

    PyValue parseDict(int depth)
    {
        ++m_pos;
        auto dict = std::make_shared<PyDict>();
        while (!consume('}')) {
            skipSpace();
            if (m_pos >= m_text.size() || (m_text[m_pos] != '\'' && m_text[m_pos] != '"'))
                fail("expected a quoted key");
            std::string key = parseString();
            if (!consume(':'))
                fail("expected ':' after key '" + key + "'");
            dict->emplace_back(std::move(key), parseValue(depth + 1));
            if (!consume(',')) {
                if (!consume('}'))
                    fail("expected ',' or '}'");
                break;
            }
        }
        return { dict };
    }

    std::string_view m_text;
    size_t m_pos = 0;
    const std::string& m_path;
};

uint32_t readLe(const uint8_t* p, int bytes)
{
    uint32_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

// Maps a descr ("<f4") to our dtype, or throws. Integer and bool arrays are listed (not loaded).
void decodeDescr(NpyHeader& h, const std::string& path)
{
    const std::string& d = h.descr;
    std::string_view body = d;
    char order = '=';
    if (!body.empty() && (body[0] == '<' || body[0] == '>' || body[0] == '|' || body[0] == '=')) {
        order = body[0];
        body.remove_prefix(1);
    }
    if (!body.empty() && body[0] == 'O')
        throw Error(ErrorKind::Unsupported, path,
            "object arrays (descr '" + d + "') hold pickled Python objects and are not read");
    if (body.size() < 2)
        throw Error(ErrorKind::Unsupported, path, "unknown NumPy dtype descr '" + d + "'");
    const char kind = body[0];
    int size = 0;
    for (char c : body.substr(1)) {
        if (c < '0' || c > '9' || size > 1000)
            throw Error(ErrorKind::Unsupported, path, "unknown NumPy dtype descr '" + d + "'");
        size = size * 10 + (c - '0');
    }
    static const std::map<std::pair<char, int>, DType> known = {
        { { 'f', 2 }, DType::F16 },
        { { 'f', 4 }, DType::F32 },
        { { 'f', 8 }, DType::F64 },
        { { 'i', 1 }, DType::I8 },
        { { 'i', 2 }, DType::I16 },
        { { 'i', 4 }, DType::I32 },
        { { 'i', 8 }, DType::I64 },
        { { 'u', 1 }, DType::U8 },
        { { 'u', 2 }, DType::U16 },
        { { 'u', 4 }, DType::U32 },
        { { 'u', 8 }, DType::U64 },
        { { 'b', 1 }, DType::Bool },
    };
    const auto it = known.find({ kind, size });
    if (it == known.end())
        throw Error(ErrorKind::Unsupported, path,
            "NumPy dtype '" + d + "' is not supported (float16/32/64, integer and bool arrays are)");
    if (order == '|' && size > 1)
        throw Error(ErrorKind::Malformed, path, "descr '" + d + "' gives no byte order for a multi-byte type");
    h.dtype = it->second;
    h.itemSize = size;
    h.bigEndian = order == '>' || (order == '=' && std::endian::native == std::endian::big);
}

} // namespace

NpyHeader parseNpyHeader(const MappedFile& file)
{
    const std::string& path = file.path();
    if (file.size() < 10 || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0)
        throw Error(ErrorKind::Malformed, path, "not a NumPy .npy file (missing the \\x93NUMPY magic)");
    NpyHeader h;
    h.majorVersion = file.data()[6];
    h.minorVersion = file.data()[7];
    if (h.majorVersion < 1 || h.majorVersion > 3 || h.minorVersion != 0)
        throw Error(ErrorKind::Unsupported, path,
            "NumPy format version " + std::to_string(h.majorVersion) + "." + std::to_string(h.minorVersion)
                + " is not supported (1.0, 2.0 and 3.0 are)");
    const int lenBytes = h.majorVersion == 1 ? 2 : 4;
    const uint64_t headerLen = readLe(file.bytes(8, lenBytes, "header length").data(), lenBytes);
    const uint64_t headerStart = 8 + static_cast<uint64_t>(lenBytes);
    const auto text = file.bytes(headerStart, headerLen, "the header");
    h.dataOffset = headerStart + headerLen;

    // v1/v2 headers are latin-1, v3 UTF-8; the keys and values we use are ASCII in both.
    const std::string_view headerText(reinterpret_cast<const char*>(text.data()), text.size());
    const PyValue root = LiteralParser(headerText, path).parseDocument();
    const auto* dictPtr = std::get_if<std::shared_ptr<PyDict>>(&root.v);
    if (!dictPtr)
        throw Error(ErrorKind::Malformed, path, "the NumPy header is not a dictionary");
    const PyValue* descr = nullptr;
    const PyValue* fortran = nullptr;
    const PyValue* shape = nullptr;
    for (const auto& [key, value] : **dictPtr) {
        if (key == "descr")
            descr = &value;
        else if (key == "fortran_order")
            fortran = &value;
        else if (key == "shape")
            shape = &value;
    }
    if (!descr || !fortran || !shape)
        throw Error(ErrorKind::Malformed, path, "the NumPy header lacks one of 'descr', 'fortran_order', 'shape'");

    if (std::holds_alternative<std::shared_ptr<PyList>>(descr->v))
        throw Error(ErrorKind::Unsupported, path, "structured NumPy arrays (record dtypes) are not supported");
    const auto* descrText = std::get_if<std::string>(&descr->v);
    if (!descrText)
        throw Error(ErrorKind::Malformed, path, "'descr' in the NumPy header is not a string");
    h.descr = *descrText;
    const auto* fortranFlag = std::get_if<bool>(&fortran->v);
    if (!fortranFlag)
        throw Error(ErrorKind::Malformed, path, "'fortran_order' in the NumPy header is not True or False");
    h.fortranOrder = *fortranFlag;
    const auto* dims = std::get_if<std::shared_ptr<PyList>>(&shape->v);
    if (!dims)
        throw Error(ErrorKind::Malformed, path, "'shape' in the NumPy header is not a tuple");
    for (const PyValue& dim : **dims) {
        const auto* n = std::get_if<int64_t>(&dim.v);
        if (!n || *n < 0)
            throw Error(ErrorKind::Malformed, path, "'shape' in the NumPy header holds a value that is not a size");
        h.shape.push_back(*n);
    }
    if (h.shape.empty())
        throw Error(ErrorKind::Unsupported, path, "a 0-d NumPy array (a single scalar) is not a table");
    decodeDescr(h, path);

    uint64_t count = 1;
    for (int64_t n : h.shape) {
        if (__builtin_mul_overflow(count, static_cast<uint64_t>(n), &count))
            throw Error(ErrorKind::Malformed, path, "the shape in the NumPy header overflows 64 bits");
    }
    uint64_t dataBytes = 0;
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(h.itemSize), &dataBytes))
        throw Error(ErrorKind::Malformed, path, "the shape in the NumPy header overflows 64 bits");
    h.elementCount = count;
    const uint64_t available = file.size() - h.dataOffset;
    if (available < dataBytes)
        throw Error(ErrorKind::Truncated, path,
            "the shape needs " + std::to_string(dataBytes) + " bytes of data, but the file holds only "
                + std::to_string(available) + " after the header");
    if (available > dataBytes)
        throw Error(ErrorKind::Malformed, path,
            "the file holds " + std::to_string(available) + " bytes of data, but the shape needs "
                + std::to_string(dataBytes));
    return h;
}

} // namespace vq
