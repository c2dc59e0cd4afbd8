//! A token bucket per client (IP address) for operations one client must not be able to do
//! without end (account creation, starting OAuth sign-ins, confirmation mails): `per_minute`
//! tokens, refilled evenly over a minute, so a client may do that many in a burst and then one
//! every `60 / per_minute` seconds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::clock::SharedClock;

/// Buckets kept before full ones (equivalent to no bucket) are forgotten.
const MAX_CLIENTS: usize = 10_000;

/// One allowance of every client.
pub struct RateLimiter {
    per_minute: u32,
    clock: SharedClock,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_minute` operations per client and minute; 0 = unlimited.
    pub fn new(per_minute: u32, clock: SharedClock) -> Self {
        Self {
            per_minute,
            clock,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one operation from `client`'s allowance, or says how long until one is free.
    pub fn take(&self, client: IpAddr) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let now = self.clock.instant();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_CLIENTS {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_second < capacity
            });
        }
        let (tokens, at) = buckets.entry(client).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::{ShiftedClock, SystemClock};

    #[test]
    fn a_burst_then_the_rate() {
        let limiter = RateLimiter::new(3, Arc::new(SystemClock));
        let me = IpAddr::from([127, 0, 0, 1]);
        for _ in 0..3 {
            assert!(limiter.take(me).is_ok());
        }
        let wait = limiter.take(me).unwrap_err();
        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(limiter.take(IpAddr::from([127, 0, 0, 2])).is_ok());
        assert!(RateLimiter::new(0, Arc::new(SystemClock)).take(me).is_ok());
    }

    #[test]
    fn the_allowance_refills_over_the_minute() {
        let clock = Arc::new(ShiftedClock::default());
        let limiter = RateLimiter::new(3, clock.clone());
        let me = IpAddr::from([127, 0, 0, 1]);
        for _ in 0..3 {
            assert!(limiter.take(me).is_ok());
        }
        assert!(limiter.take(me).is_err());
        clock.advance(Duration::from_secs(20));
        assert!(limiter.take(me).is_ok());
        assert!(limiter.take(me).is_err());
        clock.advance(Duration::from_secs(60));
        for _ in 0..3 {
            assert!(limiter.take(me).is_ok());
        }
        assert!(limiter.take(me).is_err());
    }
}
