#include "displaytext.h"

#include "quant/speclabel.h"
#include "run/runrecord.h"

#include <QFile>
#include <QLocale>
#include <QRegularExpression>
#include <QStringList>

namespace vq::display {

QString text(const std::string& utf8)
{
    return QString::fromUtf8(utf8.data(), qsizetype(utf8.size()));
}

std::string filePath(const QString& path)
{
    return QFile::encodeName(path).toStdString();
}

QString shape(const std::vector<int64_t>& dims)
{
    if (dims.empty())
        return QStringLiteral("scalar");
    QStringList parts;
    for (int64_t d : dims)
        parts << QString::number(d);
    return parts.join(QStringLiteral(" × "));
}

QString bytes(uint64_t count)
{
    return QLocale::c().formattedDataSize(qint64(count), 1, QLocale::DataSizeIecFormat);
}

QString number(double value)
{
    return QString::number(value, 'g', 4);
}

QString count(int64_t value)
{
    return QString::number(value);
}

QString quotedToken(const std::string& token)
{
    QString t = text(token);
    // Backslash and quote first, so the quotes around the token are the only bare ones: the token "
    // reads "\"", not """.
    t.replace(QLatin1Char('\\'), QStringLiteral("\\\\")).replace(QLatin1Char('"'), QStringLiteral("\\\""));
    t.replace(QLatin1Char('\n'), QStringLiteral("\\n"))
        .replace(QLatin1Char('\t'), QStringLiteral("\\t"))
        .replace(QLatin1Char('\r'), QStringLiteral("\\r"));
    return u'"' + t + u'"';
}

QString specLabel(const QuantSpec& spec)
{
    return text(vq::specLabel(spec));
}

QString runName(const RunRecord& record)
{
    return record.name.empty() ? display::specLabel(record.spec) : text(record.name);
}

QString fileStem(const RunRecord& record)
{
    QString name = runName(record);
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._+=-]+")), QStringLiteral("-"));
    name.remove(QRegularExpression(QStringLiteral("^[-.]+|-+$")));
    return name.isEmpty() ? QStringLiteral("run") : name;
}

} // namespace vq::display
