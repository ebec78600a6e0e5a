#include "loadstatuswidget.h"

#include "runners/loadrunner.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <algorithm>

namespace vq {

namespace {

constexpr int kProgressSteps = 1000;

QString stageText(const QString& stage)
{
    if (stage == u"open")
        return LoadStatusWidget::tr("Opening");
    if (stage == u"read")
        return LoadStatusWidget::tr("Reading");
    if (stage == u"tokens")
        return LoadStatusWidget::tr("Reading tokens");
    if (stage == u"checksum")
        return LoadStatusWidget::tr("Checksumming");
    if (stage == u"statistics")
        return LoadStatusWidget::tr("Computing statistics");
    return stage;
}

} // namespace

LoadStatusWidget::LoadStatusWidget(LoadRunner* runner, QWidget* parent)
    : QWidget(parent)
    , m_runner(runner)
    , m_label(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
{
    m_label->setTextFormat(Qt::PlainText);
    m_progress->setRange(0, kProgressSteps);
    m_progress->setMaximumWidth(220);
    m_progress->setTextVisible(false);
    m_cancel->setObjectName(QStringLiteral("cancelLoadButton"));

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_label);
    layout->addWidget(m_progress);
    layout->addWidget(m_cancel);

    connect(runner, &LoadRunner::busyChanged, this, &LoadStatusWidget::onBusyChanged);
    connect(runner, &LoadRunner::started, this, &LoadStatusWidget::onStarted);
    connect(runner, &LoadRunner::progress, this, &LoadStatusWidget::onProgress);
    connect(m_cancel, &QPushButton::clicked, this, &LoadStatusWidget::onCancelClicked);
    setVisible(runner->isBusy());
}

QString LoadStatusWidget::statusText() const
{
    return m_label->text();
}

void LoadStatusWidget::onBusyChanged(bool busy)
{
    setVisible(busy);
    if (!busy)
        m_label->clear();
}

void LoadStatusWidget::onStarted(const QString& path)
{
    m_cancel->setEnabled(true);
    m_progress->setValue(0);
    m_label->setText(tr("Opening %1…").arg(QFileInfo(path).fileName()));
}

void LoadStatusWidget::onProgress(const QString& stage, double fraction)
{
    if (m_runner->isCancelling())
        return; // keep "Cancelling…" until the runner stops
    m_label->setText(tr("%1 %2…").arg(stageText(stage), QFileInfo(m_runner->currentPath()).fileName()));
    m_progress->setValue(int(std::clamp(fraction, 0.0, 1.0) * kProgressSteps));
}

void LoadStatusWidget::onCancelClicked()
{
    m_runner->cancel();
    m_cancel->setEnabled(false);
    m_label->setText(tr("Cancelling…"));
}

} // namespace vq
