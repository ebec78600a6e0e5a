#include "methodcolor.h"

#include "quant/registry.h"

#include <cstdint>
#include <iterator>

namespace vq {

QColor methodColor(const QString& method)
{
    static const QColor palette[]
        = { QColor(0x00, 0x72, 0xb2), QColor(0xe6, 0x9f, 0x00), QColor(0x00, 0x9e, 0x73), QColor(0xcc, 0x79, 0xa7),
              QColor(0x56, 0xb4, 0xe9), QColor(0xd5, 0x5e, 0x00), QColor(0x88, 0x88, 0x88), QColor(0x00, 0x00, 0x00) };
    const std::string name = method.toStdString();
    const auto& all = allQuantizers();
    for (size_t i = 0; i < all.size() && i < std::size(palette); ++i)
        if (all[i]->name() == name)
            return palette[i];
    // FNV-1a: unlike qHash, the same on every machine and Qt version.
    uint32_t h = 2166136261u;
    for (unsigned char c : name)
        h = (h ^ c) * 16777619u;
    return QColor::fromHsv(int(h % 360), 170 + int((h >> 9) % 60), 150 + int((h >> 17) % 60));
}

} // namespace vq
