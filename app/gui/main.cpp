// vqscope: the desktop application. Opens the file given on the command line, or shows an empty
// window offering Open… and Open Sample.
#include "appcontext.h"
#include "common/error.h"
#include "displaytext.h"
#include "mainwindow.h"
#include "quant/quantspec.h"
#include "runners/runqueue.h"
#include "screenshottour.h"
#include "sessioncontroller.h"
#include "vq/versionline.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFile>
#include <QFileInfo>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

namespace {

// The installed copy beside the program (bin/../share/vqscope), else the source tree's when running from
// a build tree. Call with a QCoreApplication.
QString findSample()
{
    const QString installed
        = QCoreApplication::applicationDirPath() + QLatin1Char('/') + QString::fromUtf8(VQ_SAMPLE_FROM_BINDIR);
    for (const QString& path : { installed, QString::fromUtf8(VQ_SOURCE_SAMPLE) }) {
        if (QFileInfo::exists(path))
            return QFileInfo(path).canonicalFilePath();
    }
    return {};
}

// --screenshot and --quit: once the table is shown (or the window is idle when no file was given), let
// the charts lay out, then save the window's picture (when asked) and quit (when asked). A failed load
// exits with 1 and the message when either was asked for, since nothing would ever be saved.
void scheduleScreenshot(vq::MainWindow& window, const QString& file, bool quit, bool waitForTable)
{
    auto grab = [&window, file, quit] {
        QTimer::singleShot(500, &window, [&window, file, quit] {
            bool ok = true;
            if (!file.isEmpty()) {
                ok = window.grab().save(file, "PNG");
                if (!ok)
                    std::fprintf(stderr, "vqscope: could not write %s\n", qPrintable(file));
            }
            if (quit || !ok)
                QCoreApplication::exit(ok ? 0 : 1);
        });
    };
    if (!waitForTable) {
        grab();
        return;
    }
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = QObject::connect(window.context(), &vq::AppContext::tableChanged, &window, [grab, connection] {
        QObject::disconnect(*connection);
        grab();
    });
    QObject::connect(&window, &vq::MainWindow::loadAborted, &window, [](const QString& path, const QString& message) {
        // Load errors name their file already; name it here only when the message does not.
        if (message.contains(path))
            std::fprintf(stderr, "vqscope: %s\n", qPrintable(message));
        else
            std::fprintf(stderr, "vqscope: %s: %s\n", qPrintable(path), qPrintable(message));
        QCoreApplication::exit(1);
    });
}

// --run SPEC.json: the specs (as `vqscope-cli quantize --config` reads them) to queue once the table is
// loaded. Exits with a message naming the file when one cannot be read.
std::vector<vq::QuantSpec> readSpecs(const QStringList& files)
{
    std::vector<vq::QuantSpec> specs;
    for (const QString& file : files) {
        QFile in(file);
        if (!in.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "vqscope: %s: cannot read: %s\n", qPrintable(file), qPrintable(in.errorString()));
            std::exit(2);
        }
        try {
            specs.push_back(vq::QuantSpec::fromJson(nlohmann::json::parse(in.readAll().toStdString())));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "vqscope: %s: not a run spec: %s\n", qPrintable(file), e.what());
            std::exit(2);
        }
    }
    return specs;
}

void queueOnLoad(vq::MainWindow& window, std::vector<vq::QuantSpec> specs)
{
    if (specs.empty())
        return;
    auto* context = window.context();
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = QObject::connect(context, &vq::AppContext::tableChanged, &window, [&window, specs, connection] {
        QObject::disconnect(*connection);
        for (const vq::QuantSpec& spec : specs) {
            try {
                window.runQueue()->enqueue(spec);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "vqscope: run %s refused: %s\n", spec.method.c_str(), e.what());
                window.showRefusedSpec(spec, vq::display::specLabel(spec), QString::fromUtf8(e.what()));
            }
        }
    });
}

// The options of the command line. Declared on a parser that needs no QApplication, so that --help and
// --version answer on a machine without a display.
void declareOptions(QCommandLineParser& parser)
{
    parser.setApplicationDescription(
        QStringLiteral("Compression lab for the token-embedding tables of language models."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"),
        QStringLiteral("Checkpoint or table to open (safetensors, GGUF, HDF5, NumPy), a session (.vqproj) or "
                       "vqscope-cli results (.vq.h5, .jsonl)."),
        QStringLiteral("[file]"));
    parser.addOption(
        { QStringLiteral("sample"), QStringLiteral("Open the bundled sample table when no file is given.") });
    parser.addOption({ QStringLiteral("screenshot"),
        QStringLiteral("Save a PNG of the window once the file is loaded (or, without a file, once it is shown)."),
        QStringLiteral("png") });
    parser.addOption({ QStringLiteral("quit"),
        QStringLiteral("Quit once the file is loaded and the screenshot saved: exit status 0, or 1 with the "
                       "message when the load or the screenshot fails.") });
    parser.addOption({ QStringLiteral("run"),
        QStringLiteral("Queue a run of this spec (JSON, as vqscope-cli quantize --config reads) once the file is "
                       "loaded. Repeatable."),
        QStringLiteral("spec.json") });
    QCommandLineOption tour(QStringLiteral("screenshot-tabs"),
        QStringLiteral("Once the file is loaded and the queued runs are done, save a PNG of every tab into this "
                       "folder, then quit."),
        QStringLiteral("dir"));
    tour.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(tour);
}

// Answers --help and --version before any QApplication exists. Returns false when the command line is
// left for QApplication and the full parse (which also reports unknown options, and knows Qt's own
// options such as -platform).
bool answeredWithoutDisplay(int argc, char** argv)
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    QCommandLineParser parser;
    declareOptions(parser);
    if (!parser.parse(arguments))
        return false;
    if (parser.isSet(QStringLiteral("version"))) {
        std::printf("vqscope %s\n", vq::kVersionLine);
        return true;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        // Without a QCoreApplication Qt cannot know the program's name.
        QString help = parser.helpText();
        help.replace(QStringLiteral("<executable_name>"), QStringLiteral("vqscope"));
        std::fputs(qPrintable(help), stdout);
        return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    if (answeredWithoutDisplay(argc, argv))
        return 0;

    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("vqscope"));
    QApplication::setApplicationName(QStringLiteral("vqscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("vqscope"));
    QApplication::setApplicationVersion(QString::fromLatin1(vq::kVersionLine));
    // Wayland compositors find the window's icon and name through the installed desktop entry.
    QGuiApplication::setDesktopFileName(QStringLiteral("org.vqscope.vqscope"));

    QCommandLineParser parser;
    declareOptions(parser);
    parser.process(app);

    vq::MainWindow window;
    window.setSamplePath(findSample());
    window.setDocumentationFolders({ QString::fromUtf8(VQ_INSTALLED_DOCDIR), QString::fromUtf8(VQ_SOURCE_DIR) });
    const QStringList files = parser.positionalArguments();
    QString file = files.isEmpty() ? QString() : files.first();
    if (file.isEmpty() && parser.isSet(QStringLiteral("sample"))) {
        file = findSample();
        if (file.isEmpty()) {
            std::fprintf(stderr, "vqscope: the bundled sample table is not installed\n");
            return 1;
        }
    }
    queueOnLoad(window, readSpecs(parser.values(QStringLiteral("run"))));

    const bool quit = parser.isSet(QStringLiteral("quit"));
    const QString screenshot = parser.value(QStringLiteral("screenshot"));
    if (!screenshot.isEmpty() || quit) {
        // A fixed size, whatever the saved geometry, so screenshots compare across runs.
        window.resize(1280, 800);
        scheduleScreenshot(window, screenshot, quit, !file.isEmpty());
    }
    const QString tourDir = parser.value(QStringLiteral("screenshot-tabs"));
    if (!tourDir.isEmpty()) {
        window.resize(1280, 800);
        auto* tour = new vq::ScreenshotTour(&window, tourDir, &window);
        QObject::connect(tour, &vq::ScreenshotTour::finished, &app, [tour](bool ok) {
            for (const QString& written : tour->writtenFiles())
                std::printf("%s\n", qPrintable(written));
            QCoreApplication::exit(ok ? 0 : 1);
        });
        tour->start();
    }
    window.show();
    if (!file.isEmpty())
        window.openFile(file);
    else if (screenshot.isEmpty() && !quit && tourDir.isEmpty())
        window.sessionController()->offerRestore();
    return app.exec();
}
