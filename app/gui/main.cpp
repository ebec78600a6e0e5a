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
#include "vq/version.h"

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

// The source tree's copy when running from a build tree, else the installed one.
QString findSample()
{
    for (const char* candidate : { VQ_SOURCE_SAMPLE, VQ_INSTALLED_SAMPLE }) {
        const QString path = QString::fromUtf8(candidate);
        if (QFileInfo::exists(path))
            return path;
    }
    return {};
}

// --screenshot: once the table is shown (or the window is idle when no file was given), let the charts
// lay out, grab the window, save it and quit. Makes the README's screenshots reproducible.
void scheduleScreenshot(vq::MainWindow& window, const QString& file, bool waitForTable)
{
    auto grab = [&window, file] {
        QTimer::singleShot(500, &window, [&window, file] {
            const bool ok = window.grab().save(file, "PNG");
            if (!ok)
                std::fprintf(stderr, "vqscope: could not write %s\n", qPrintable(file));
            QCoreApplication::exit(ok ? 0 : 1);
        });
    };
    if (!waitForTable) {
        grab();
        return;
    }
    QObject::connect(window.context(), &vq::AppContext::tableChanged, &window, grab);
    QObject::connect(&window, &vq::MainWindow::loadAborted, &window, [](const QString&, const QString& message) {
        std::fprintf(stderr, "vqscope: no screenshot, the load failed: %s\n", qPrintable(message));
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

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("vqscope"));
    QApplication::setApplicationName(QStringLiteral("vqscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("vqscope"));
    QApplication::setApplicationVersion(QString::fromLatin1(vq::kVersion));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Compression lab for the token-embedding tables of language models."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"),
        QStringLiteral("Checkpoint or table to open (safetensors, GGUF, HDF5, NumPy)."), QStringLiteral("[file]"));
    QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
        QStringLiteral("Save a PNG of the window once the file is loaded, then quit."), QStringLiteral("png"));
    screenshotOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(screenshotOption);
    QCommandLineOption runOption(QStringLiteral("run"),
        QStringLiteral("Queue a run of this spec (JSON, as vqscope-cli quantize --config reads) once the file is "
                       "loaded. Repeatable."),
        QStringLiteral("spec.json"));
    parser.addOption(runOption);
    QCommandLineOption tourOption(QStringLiteral("screenshot-tabs"),
        QStringLiteral("Once the file is loaded and the queued runs are done, save a PNG of every tab into this "
                       "folder, then quit."),
        QStringLiteral("dir"));
    tourOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOption(tourOption);
    parser.process(app);

    vq::MainWindow window;
    window.setSamplePath(findSample());
    window.setDocumentationFolders({ QString::fromUtf8(VQ_INSTALLED_DOCDIR), QString::fromUtf8(VQ_SOURCE_DIR) });
    const QStringList files = parser.positionalArguments();
    const QString file = files.isEmpty() ? QString() : files.first();
    queueOnLoad(window, readSpecs(parser.values(runOption)));

    if (parser.isSet(screenshotOption)) {
        // A fixed size, whatever the saved geometry, so screenshots compare across runs.
        window.resize(1280, 800);
        scheduleScreenshot(window, parser.value(screenshotOption), !file.isEmpty());
    }
    if (parser.isSet(tourOption)) {
        window.resize(1280, 800);
        auto* tour = new vq::ScreenshotTour(&window, parser.value(tourOption), &window);
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
    else if (!parser.isSet(screenshotOption) && !parser.isSet(tourOption))
        window.sessionController()->offerRestore();
    return app.exec();
}
