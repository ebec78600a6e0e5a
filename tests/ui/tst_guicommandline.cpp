// The vqscope program's command line, run as a separate process: --help and --version without a
// display, --screenshot/--quit on the bundled sample, and the exit status of a failed load.
#include "clichecks.h"
#include "vq/version.h"

#include <QImage>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Result {
    int exitCode = -1; // -1: crashed or timed out
    QByteArray out;
    QByteArray err;
};

// Runs vqscope with args and a settings folder of its own. platform: the Qt platform plugin, or empty
// for none at all and no display, where creating a QApplication aborts.
Result runApp(const QStringList& args, const QString& home, const QString& platform)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), platform.isEmpty() ? QStringLiteral("xcb") : platform);
    env.insert(QStringLiteral("HOME"), home);
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(VQ_GUI_PATH), args);
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit)
        return { -1, p.readAllStandardOutput(), p.readAllStandardError() };
    return { p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError() };
}

int distinctColours(const QImage& image)
{
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            colours.insert(image.pixel(x, y));
    return int(colours.size());
}

} // namespace

class TestGuiCommandLine : public QObject {
    Q_OBJECT
private slots:
    void answersWithoutDisplay_data()
    {
        QTest::addColumn<QString>("option");
        QTest::addColumn<QByteArray>("expected");
        // The same version line as vqscope-cli's, "0.1.0 (git 1a2b3c4)", after the program's name.
        QByteArray version = vqtest::runCli({ QStringLiteral("--version") }).out;
        QVERIFY(version.startsWith("vqscope-cli "));
        version.replace(0, int(qstrlen("vqscope-cli ")), "vqscope ");
        QTest::newRow("--version") << QStringLiteral("--version") << version;
        QTest::newRow("-v") << QStringLiteral("-v") << version;
        QTest::newRow("--help") << QStringLiteral("--help") << QByteArray("Usage: vqscope [options] [file]\n");
        QTest::newRow("-h") << QStringLiteral("-h") << QByteArray("Usage: vqscope [options] [file]\n");
    }

    void answersWithoutDisplay()
    {
        QFETCH(QString, option);
        QFETCH(QByteArray, expected);
        QTemporaryDir home;
        const Result r = runApp({ option }, home.path(), {});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const bool help = option.contains(QLatin1Char('h'));
        QVERIFY2(help ? r.out.startsWith(expected) : r.out == expected, r.out.constData());
        if (help) {
            for (const char* documented :
                { "--sample", "--screenshot <png>", "--quit", "--run <spec.json>", "--version" })
                QVERIFY2(r.out.contains(documented), documented);
        }
    }

    // --sample --screenshot --quit: the window with the sample loaded, then exit 0. The same window
    // without a table has far fewer colours: measured 960 against 255 (charts, statistics and token
    // strings against an empty start page).
    void screenshotOfTheSample()
    {
        QTemporaryDir home;
        const QString loaded = home.filePath(QStringLiteral("sample.png"));
        const Result r
            = runApp({ QStringLiteral("--sample"), QStringLiteral("--screenshot"), loaded, QStringLiteral("--quit") },
                home.path(), QStringLiteral("offscreen"));
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QImage shot(loaded);
        QCOMPARE(shot.size(), QSize(1280, 800));

        const QString empty = home.filePath(QStringLiteral("empty.png"));
        const Result e = runApp({ QStringLiteral("--screenshot"), empty, QStringLiteral("--quit") }, home.path(),
            QStringLiteral("offscreen"));
        QVERIFY2(e.exitCode == 0, e.err.constData());
        const QImage emptyShot(empty);
        QCOMPARE(emptyShot.size(), QSize(1280, 800));

        const int withTable = distinctColours(shot);
        const int without = distinctColours(emptyShot);
        qInfo("distinct colours: %d with the sample loaded, %d without a table", withTable, without);
        QVERIFY(withTable > 2 * without);
    }

    // A file that cannot be loaded: exit status 1, the message names the file once, no picture.
    void failedLoadExitsWithTheMessage()
    {
        QTemporaryDir home;
        const QString missing = home.filePath(QStringLiteral("no-such-table.npy"));
        const QString png = home.filePath(QStringLiteral("shot.png"));
        const Result r = runApp({ missing, QStringLiteral("--screenshot"), png, QStringLiteral("--quit") }, home.path(),
            QStringLiteral("offscreen"));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no-such-table.npy"), r.err.constData());
        QVERIFY2(r.err.count(missing.toUtf8()) == 1, r.err.constData()); // named once, not twice
        QVERIFY(!QFile::exists(png));
    }

    void unknownOptionIsAUsageError()
    {
        QTemporaryDir home;
        const Result r = runApp({ QStringLiteral("--no-such-option") }, home.path(), QStringLiteral("offscreen"));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no-such-option"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestGuiCommandLine)
#include "tst_guicommandline.moc"
