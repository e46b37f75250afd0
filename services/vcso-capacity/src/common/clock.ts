import { Injectable } from '@nestjs/common';

/**
 * The service's idea of "now". Week and month boundaries, pause ends and alert deadlines all read it,
 * so tests can move it (week rollover) without waiting for a real Monday.
 */
@Injectable()
export class Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves "now" to `at` (and keeps it ticking from there). For tests and drills only. */
  travelTo(at: Date): void {
    this.offsetMs = at.getTime() - Date.now();
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
