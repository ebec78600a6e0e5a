// CSV export of table models: exact text with RFC 4180 quoting, written atomically, errors naming the file.
#include "widgets/tableexport.h"

#include <QFile>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QTest>

using namespace vq;

class TestTableExport : public QObject {
    Q_OBJECT
private slots:
    void quotesWhatNeedsQuoting()
    {
        QStandardItemModel model(3, 2);
        model.setHorizontalHeaderLabels({ QStringLiteral("token"), QStringLiteral("rel. error") });
        model.setItem(0, 0, new QStandardItem(QStringLiteral("the")));
        model.setItem(0, 1, new QStandardItem(QStringLiteral("0.25")));
        model.setItem(1, 0, new QStandardItem(QStringLiteral("a,b")));
        model.setItem(1, 1, new QStandardItem(QStringLiteral("say \"hi\"")));
        model.setItem(2, 0, new QStandardItem(QStringLiteral("line\nbreak")));
        model.setItem(2, 1, new QStandardItem(QStringLiteral("1")));
        QCOMPARE(tableToCsv(model),
            QStringLiteral("token,rel. error\nthe,0.25\n\"a,b\",\"say \"\"hi\"\"\"\n\"line\nbreak\",1\n"));
    }

    void followsTheProxySortOrder()
    {
        QStandardItemModel model(3, 1);
        model.setHorizontalHeaderLabels({ QStringLiteral("n") });
        const char* values[] = { "b", "c", "a" };
        for (int r = 0; r < 3; ++r)
            model.setItem(r, 0, new QStandardItem(QString::fromLatin1(values[r])));
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.sort(0);
        QCOMPARE(tableToCsv(proxy), QStringLiteral("n\na\nb\nc\n"));
    }

    void writesAtomicallyAndNamesTheFileOnError()
    {
        QStandardItemModel model(1, 1);
        model.setHorizontalHeaderLabels({ QStringLiteral("x") });
        model.setItem(0, 0, new QStandardItem(QStringLiteral("1")));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("t.csv"));
        QCOMPARE(writeTableCsv(model, path), QString());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("x\n1\n"));

        const QString bad = dir.filePath(QStringLiteral("missing/t.csv"));
        const QString error = writeTableCsv(model, bad);
        QVERIFY(error.startsWith(bad));
        QVERIFY(!QFile::exists(bad));
    }
};

QTEST_MAIN(TestTableExport)
#include "tst_tableexport.moc"
