/**
 * The Wallet's one alarm, armed for the earliest moment anything is due (a
 * reconciler check, a key expiry, a feed retry or prune).
 *
 * The time armed is remembered and trusted while it lies in the future: only
 * this object sets its alarm, and an alarm that fires runs the handler, which
 * calls `fired()` first. A remembered time already past (a run that failed
 * and will be retried, or one still running) is asked of storage again, as
 * is everything after a restart, since nothing here is stored. So a write
 * that wants nothing sooner than what is armed costs no storage call.
 */
export class AlarmClock {
  private armed_at_ms: number | null = null;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Make sure the alarm fires by the earliest of `candidates` (null: nothing due), never later. */
  async armBy(candidates: readonly (number | null)[]): Promise<void> {
    const due = candidates.filter((v): v is number => v !== null);
    if (due.length === 0) return;
    const now_ms = Date.now();
    const wanted = Math.max(Math.min(...due), now_ms);
    const known = this.armed_at_ms;
    const current = known !== null && known > now_ms ? known : await this.storage.getAlarm();
    if (current === null || current > wanted) {
      await this.storage.setAlarm(wanted);
      this.armed_at_ms = wanted;
    } else {
      this.armed_at_ms = current;
    }
  }

  /** The alarm is running: what was armed is spent. */
  fired(): void {
    this.armed_at_ms = null;
  }
}
