//! The time the server goes by. Lockout, session expiry, guest purging, rate limits and the local
//! provider's codes and tokens read it here rather than from the system, so tests can move it
//! ahead instead of sleeping through a timeout.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// Wall-clock time in epoch milliseconds: what the database stores.
    fn now_ms(&self) -> i64;
    /// Monotonic time, for intervals that live in memory only (immune to wall-clock steps).
    fn instant(&self) -> Instant;
}

/// The clock as the server shares it.
pub type SharedClock = Arc<dyn Clock>;

/// The system's clocks.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| {
                i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
            })
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// The system clock, moved ahead by [`ShiftedClock::advance`]: time still passes as usual (so
/// nothing that expects it to pass stalls), and a test can skip an hour in a call.
#[derive(Debug, Default)]
pub struct ShiftedClock {
    ahead_ms: AtomicU64,
}

impl ShiftedClock {
    /// Moves the clock ahead by `by` (whole milliseconds).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.ahead_ms.fetch_add(by, Ordering::SeqCst);
    }

    fn ahead(&self) -> Duration {
        Duration::from_millis(self.ahead_ms.load(Ordering::SeqCst))
    }
}

impl Clock for ShiftedClock {
    fn now_ms(&self) -> i64 {
        let ahead = i64::try_from(self.ahead().as_millis()).unwrap_or(i64::MAX);
        SystemClock.now_ms().saturating_add(ahead)
    }

    fn instant(&self) -> Instant {
        let now = Instant::now();
        now.checked_add(self.ahead()).unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_runs_ahead_by_what_it_was_advanced() {
        let clock = ShiftedClock::default();
        let (wall, mono) = (clock.now_ms(), clock.instant());
        clock.advance(Duration::from_secs(3 * 3600));
        assert!(clock.now_ms() - wall >= 3 * 3600 * 1000);
        assert!(clock.instant().duration_since(mono) >= Duration::from_secs(3 * 3600));
    }
}
