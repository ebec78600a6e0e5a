#include "explore/tokensearch.h"

#include <QtTest>

using namespace vq;

class TestTokenSearch : public QObject {
    Q_OBJECT

private slots:
    void find_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("row");
        QTest::newRow("exact") << QStringLiteral("The") << qint64(3);
        QTest::newRow("exact wins over case") << QStringLiteral("the") << qint64(0);
        QTest::newRow("case-insensitive") << QStringLiteral("THE") << qint64(0);
        QTest::newRow("row number") << QStringLiteral("#4") << qint64(4);
        QTest::newRow("digits: a token first") << QStringLiteral("42") << qint64(5);
        QTest::newRow("digits: else the row") << QStringLiteral("2") << qint64(2);
        QTest::newRow("prefix") << QStringLiteral("bri") << qint64(6);
        QTest::newRow("contains") << QStringLiteral("ill") << qint64(7);
        QTest::newRow("prefix before contains") << QStringLiteral("ab") << qint64(1);
        QTest::newRow("row out of range") << QStringLiteral("#9") << qint64(-1);
        QTest::newRow("bad row") << QStringLiteral("#x") << qint64(-1);
        QTest::newRow("nothing") << QStringLiteral("zebra") << qint64(-1);
        QTest::newRow("empty") << QString() << qint64(-1);
    }
    void find()
    {
        QFETCH(QString, text);
        QFETCH(qint64, row);
        const std::vector<std::string> tokens { "the", "about", "cab", "The", "of", "42", "bright", "will", "ab." };
        QCOMPARE(findTokenRow(tokens, int64_t(tokens.size()), text.toStdString()), int64_t(row));
    }

    void withoutTokens()
    {
        QCOMPARE(findTokenRow({}, 10, "#3"), int64_t(3));
        QCOMPARE(findTokenRow({}, 10, "7"), int64_t(7));
        QCOMPARE(findTokenRow({}, 10, "the"), int64_t(-1));
    }
};

QTEST_GUILESS_MAIN(TestTokenSearch)
#include "tst_tokensearch.moc"
