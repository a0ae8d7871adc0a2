import type { ReactiveControllerHost } from 'lit';

/**
 * One action at a time across the Integrations screen's parts: while one call to the server is
 * under way, a second tap in either part does nothing, and both parts disable their buttons.
 */
export class ActionGate {
  private running = false;
  private readonly hosts = new Set<ReactiveControllerHost>();

  get busy(): boolean {
    return this.running;
  }

  /** Has `host` render again whenever `busy` changes, until it `leave`s. */
  join(host: ReactiveControllerHost): void {
    this.hosts.add(host);
  }

  leave(host: ReactiveControllerHost): void {
    this.hosts.delete(host);
  }

  /** Runs `action` unless another is under way. */
  async run(action: () => Promise<void>): Promise<void> {
    if (this.running) return;
    this.set(true);
    try {
      await action();
    } finally {
      this.set(false);
    }
  }

  private set(running: boolean): void {
    this.running = running;
    for (const host of this.hosts) host.requestUpdate();
  }
}
