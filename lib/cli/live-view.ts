import { createLogUpdate } from 'log-update';
import pc from 'picocolors';
import type { ProgressEvent } from '../local/step-progress.js';
import { renderDagText } from './dag-picture.js';
import type { RunTracker } from './run-tracker.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const BAR_WIDTH = 24;

export interface LiveView {
  /** Redraws after an event (domain events are listed under the DAG). */
  onEvent(event: ProgressEvent): void;
  /** Shows how to signal a waiting step under the DAG, until the step's next event. */
  showHint(stepName: string, text: string): void;
  /** Draws the last frame and leaves it on the screen. */
  stop(): void;
}

/** A live picture of the run on a terminal: a progress bar and the DAG with each step's state, redrawn in place. */
export function startLiveView(tracker: RunTracker, stream: NodeJS.WriteStream, title: string): LiveView {
  const draw = createLogUpdate(stream);
  const events: string[] = [];
  const hints = new Map<string, string>();
  let frame = 0;
  let task = '';
  let finalIcon: string | undefined;
  const render = () => {
    const done = tracker.finishedCount();
    const filled = Math.round((done / Math.max(1, tracker.total)) * BAR_WIDTH);
    const elapsed = ((Date.now() - tracker.startedAt) / 1000).toFixed(1);
    const bar = `${pc.green('█'.repeat(filled))}${pc.dim('░'.repeat(BAR_WIDTH - filled))}`;
    const icon = finalIcon ?? pc.cyan(SPINNER[frame % SPINNER.length] as string);
    const lines = [
      `${icon} ${pc.bold(title)} ${pc.dim(task)}`,
      `  ${bar} ${done}/${tracker.total} steps  ${elapsed} s`,
      '',
      ...renderDagText(tracker.nodes(), { color: true }),
    ];
    if (events.length > 0) lines.push('', ...events.map((e) => `  ${pc.magenta('⚡')} ${e}`));
    for (const [step, hint] of hints) lines.push('', `  ${pc.blue('⧗')} ${step} waits for a signal:`, `    ${hint}`);
    draw(lines.join('\n'));
  };
  const timer = setInterval(() => {
    frame += 1;
    render();
  }, 100);
  render();
  return {
    showHint(stepName, text) {
      hints.set(stepName, text);
    },
    onEvent(event) {
      if (event.type !== 'step_waiting' && event.type !== 'domain_event' && 'stepName' in event)
        hints.delete(event.stepName);
      if (event.type === 'domain_event') events.push(`${event.eventName} from ${event.stepName} (${event.outcome})`);
      if (event.type === 'task_finished') {
        task = `task ${event.taskUuid} ${event.state}`;
        finalIcon = event.state === 'complete' ? pc.green('✔') : pc.red('✖');
      }
      render();
    },
    stop() {
      clearInterval(timer);
      render();
      draw.done();
    },
  };
}
