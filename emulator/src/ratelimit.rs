//! A token bucket per client (IP address) for operations one client must not be able to do
//! without end (account creation, starting OAuth sign-ins, confirmation mails): `per_minute`
//! tokens, refilled evenly over a minute, so a client may do that many in a burst and then one
//! every `60 / per_minute` seconds. At most [`MAX_CLIENTS`] buckets are kept: while that many
//! clients are all mid-allowance (thousands of addresses at once), new ones share one bucket.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::clock::SharedClock;

/// Buckets kept before full ones (equivalent to no bucket) are forgotten.
pub const MAX_CLIENTS: usize = 10_000;

/// The bucket new clients share while [`MAX_CLIENTS`] others are mid-allowance.
const OVERFLOW: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

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
        let mut client = client;
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_second < capacity
            });
            if buckets.len() >= MAX_CLIENTS {
                client = OVERFLOW;
            }
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
    fn thousands_of_addresses_at_once_share_one_bucket_beyond_the_cap() {
        let clock = Arc::new(ShiftedClock::default());
        let limiter = RateLimiter::new(3, clock.clone());
        let address = |n: u32| IpAddr::from((0x0a00_0000 + n).to_be_bytes());
        for n in 0..MAX_CLIENTS as u32 {
            assert!(limiter.take(address(n)).is_ok());
        }
        // Every bucket is mid-allowance: the next addresses share one, of 3 operations.
        let newcomers: Vec<bool> = (0..5)
            .map(|n| limiter.take(address(MAX_CLIENTS as u32 + n)).is_ok())
            .collect();
        assert_eq!(newcomers, [true, true, true, false, false]);
        assert!(
            limiter.take(address(0)).is_ok(),
            "a known client keeps its own bucket"
        );
        let kept = limiter.buckets.lock().unwrap().len();
        assert_eq!(kept, MAX_CLIENTS + 1, "the map stays bounded");
        // A minute later the old buckets are full again and forgotten: newcomers get their own.
        clock.advance(Duration::from_secs(60));
        assert!(limiter.take(address(2 * MAX_CLIENTS as u32)).is_ok());
        assert!(limiter.buckets.lock().unwrap().len() <= 2);
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
