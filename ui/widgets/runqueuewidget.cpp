#include "runqueuewidget.h"

#include "displaytext.h"
#include "models/runsmodel.h"
#include "runners/runqueue.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <algorithm>

namespace vq {

namespace {

constexpr int kProgressSteps = 1000;

} // namespace

RunQueueWidget::RunQueueWidget(RunQueue* queue, QWidget* parent)
    : QWidget(parent)
    , m_queue(queue)
    , m_label(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_cancel(new QPushButton(tr("Cancel All"), this))
{
    setObjectName(QStringLiteral("runQueueStatus"));
    m_label->setTextFormat(Qt::PlainText);
    m_progress->setRange(0, kProgressSteps);
    m_progress->setMaximumWidth(160);
    m_progress->setTextVisible(false);
    m_cancel->setObjectName(QStringLiteral("cancelAllRunsButton"));
    m_cancel->setToolTip(tr("Cancel the running run and every queued one"));

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_label);
    layout->addWidget(m_progress);
    layout->addWidget(m_cancel);

    AppContext* context = queue->context();
    connect(queue, &RunQueue::busyChanged, this, &RunQueueWidget::onBusyChanged);
    connect(queue, &RunQueue::runStarted, this, &RunQueueWidget::refresh);
    connect(queue, &RunQueue::runFinished, this, &RunQueueWidget::refresh);
    connect(context, &AppContext::runAdded, this, &RunQueueWidget::refresh);
    connect(context, &AppContext::runProgress, this, [this](RunKey key) {
        if (key == m_queue->runningKey())
            refresh();
    });
    connect(m_cancel, &QPushButton::clicked, this, &RunQueueWidget::onCancelAllClicked);
    setVisible(queue->isBusy());
    refresh();
}

QString RunQueueWidget::statusText() const
{
    return m_label->text();
}

int RunQueueWidget::progressValue() const
{
    return m_progress->value();
}

void RunQueueWidget::refresh()
{
    if (!m_queue->isBusy()) {
        m_label->clear();
        m_progress->setValue(0);
        return;
    }
    const RunKey key = m_queue->runningKey();
    const RunEntry* entry = m_queue->context()->run(key);
    if (entry && m_queue->isCancelling(key)) {
        m_label->setText(tr("Cancelling %1…").arg(QString::fromStdString(entry->record->spec.method)));
        return;
    }
    const int pending = m_queue->pendingCount();
    // The method only: a run's full name can be long for the status bar; it is in the tooltip.
    QString text = entry ? tr("Running %1").arg(QString::fromStdString(entry->record->spec.method)) : tr("Starting");
    m_label->setToolTip(entry ? display::runName(*entry->record) : QString());
    if (pending > 0)
        text += QLatin1Char(' ') + tr("(%n queued)", nullptr, pending);
    if (entry && !entry->stage.isEmpty())
        text += QStringLiteral(" — ") + RunsModel::progressText(*entry);
    m_label->setText(text);
    m_progress->setValue(entry ? int(std::clamp(entry->fraction, 0.0, 1.0) * kProgressSteps) : 0);
    m_cancel->setEnabled(true);
}

void RunQueueWidget::onBusyChanged(bool busy)
{
    setVisible(busy);
    refresh();
}

void RunQueueWidget::onCancelAllClicked()
{
    m_queue->cancelAll();
    m_cancel->setEnabled(false);
    refresh();
}

} // namespace vq
