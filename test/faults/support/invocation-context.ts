import { AsyncLocalStorage } from 'node:async_hooks';

/** Where an invocation chosen to die is killed. */
export type KillPoint =
  /** When it tries to send its (n+1)-th step result; with n = the batch size, right after the last one was sent. */
  | { readonly kind: 'at_result'; readonly results: number }
  /** At the first message or event it tries to send (the completion function: after its commits, before the outbox is out). */
  | { readonly kind: 'at_first_send' }
  /** After the function returned, before the event source deleted the batch. */
  | { readonly kind: 'after_return' };

/**
 * One invocation of a function that the scenario may kill. Once killed, nothing it does reaches
 * the outside any more: a send or publish it starts never happens and never returns, one in
 * flight returns nothing to it (the message may have arrived; the process never learns).
 */
export class Invocation {
  killed = false;
  resultsSent = 0;
  private killWith: ((reason: string) => void) | undefined;
  /** Settles (with the reason) when the invocation is killed. */
  readonly death: Promise<string>;

  constructor(
    readonly point: KillPoint,
    readonly batchSize: number,
  ) {
    this.death = new Promise((resolve) => (this.killWith = resolve));
  }

  kill(reason: string): void {
    if (this.killed) return;
    this.killed = true;
    this.killWith?.(reason);
  }

  /** Before a send or publish: kills the invocation when this is its kill point; true when it is dead. */
  beforeSend(isResult: boolean): boolean {
    if (this.killed) return true;
    if (this.point.kind === 'at_first_send')
      this.kill('killed at its first send (after its commits, before its outbox was sent)');
    else if (this.point.kind === 'at_result' && isResult && this.resultsSent >= this.point.results)
      this.kill(`killed before sending result ${this.resultsSent + 1} of ${this.batchSize}`);
    return this.killed;
  }

  /** After step results were sent: the last result of the batch is a kill point too. */
  afterResults(count: number): boolean {
    this.resultsSent += count;
    if (this.point.kind === 'at_result' && this.point.results >= this.batchSize && this.resultsSent >= this.batchSize) {
      this.kill(
        `killed after sending all ${this.batchSize} results, before publishing their events and before the batch was deleted`,
      );
    }
    return this.killed;
  }
}

const storage = new AsyncLocalStorage<Invocation>();

/** The invocation the current async work belongs to, if the scenario may kill it. */
export function currentInvocation(): Invocation | undefined {
  return storage.getStore();
}

export function runAsInvocation<T>(invocation: Invocation, work: () => Promise<T>): Promise<T> {
  return storage.run(invocation, work);
}

/** What an I/O call of a dead process gives back: nothing, ever. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
