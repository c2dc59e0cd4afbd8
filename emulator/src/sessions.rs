//! The in-memory view of sessions, so that checking a token (the hottest path) needs no database access.
//!
//! The database stays the source of truth: every session is created and ended there first, and the cache is
//! loaded from it at start. Only last-use times are kept here first and written back in batches
//! (see [`SessionCache::take_touches`]), because a write per token check would cap throughput at the disk's
//! fsync rate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::ids::TokenDigest;
use crate::store::SessionRecord;

#[derive(Debug)]
struct CachedSession {
    user_id: Arc<str>,
    last_activity: i64,
    persisted_activity: i64,
    ended: bool,
}

impl CachedSession {
    fn is_live(&self, now: i64, timeout_ms: i64) -> bool {
        !self.ended && (timeout_ms <= 0 || now - self.last_activity < timeout_ms)
    }
}

/// Sessions by token digest. Ended sessions stay (until reset or pruning) so the request log can still say
/// whose token a request carried.
#[derive(Debug, Default)]
pub struct SessionCache {
    sessions: Mutex<HashMap<TokenDigest, CachedSession>>,
}

impl SessionCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<TokenDigest, CachedSession>> {
        // Every critical section leaves the map consistent, so a poisoned lock is still usable.
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the content with the sessions read from the database.
    pub fn load(&self, records: Vec<SessionRecord>) {
        let mut sessions = self.lock();
        sessions.clear();
        for record in records {
            sessions.insert(
                record.token_digest,
                CachedSession {
                    user_id: Arc::from(record.user_id),
                    last_activity: record.last_activity,
                    persisted_activity: record.last_activity,
                    ended: false,
                },
            );
        }
    }

    /// Adds a session just written to the database.
    pub fn insert(&self, record: &SessionRecord) {
        self.lock().insert(
            record.token_digest,
            CachedSession {
                user_id: Arc::from(record.user_id.as_str()),
                last_activity: record.last_activity,
                persisted_activity: record.last_activity,
                ended: false,
            },
        );
    }

    /// If the session is live, records its use at `now` and returns its user's objectId.
    pub fn use_live(&self, digest: &TokenDigest, now: i64, timeout_ms: i64) -> Option<Arc<str>> {
        let mut sessions = self.lock();
        let session = sessions.get_mut(digest)?;
        if !session.is_live(now, timeout_ms) {
            return None;
        }
        session.last_activity = session.last_activity.max(now);
        Some(session.user_id.clone())
    }

    /// The objectId of the user the token belongs (or belonged) to, whatever the session's state.
    pub fn owner(&self, digest: &TokenDigest) -> Option<Arc<str>> {
        self.lock()
            .get(digest)
            .map(|session| session.user_id.clone())
    }

    /// How many live sessions the user has.
    pub fn live_count(&self, user_id: &str, now: i64, timeout_ms: i64) -> usize {
        self.lock()
            .values()
            .filter(|session| &*session.user_id == user_id && session.is_live(now, timeout_ms))
            .count()
    }

    /// Marks one session ended.
    pub fn end(&self, digest: &TokenDigest) {
        if let Some(session) = self.lock().get_mut(digest) {
            session.ended = true;
        }
    }

    /// Marks all sessions of a user ended.
    pub fn end_user(&self, user_id: &str) {
        for session in self
            .lock()
            .values_mut()
            .filter(|session| &*session.user_id == user_id)
        {
            session.ended = true;
        }
    }

    /// Marks every session ended.
    pub fn end_all(&self) {
        for session in self.lock().values_mut() {
            session.ended = true;
        }
    }

    /// Forgets everything (after the database was emptied).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Last-use times not yet written to the database; they count as written from now on.
    pub fn take_touches(&self) -> Vec<(TokenDigest, i64)> {
        let mut sessions = self.lock();
        let mut touches = Vec::new();
        for (digest, session) in sessions.iter_mut() {
            if !session.ended && session.last_activity > session.persisted_activity {
                session.persisted_activity = session.last_activity;
                touches.push((*digest, session.last_activity));
            }
        }
        touches
    }

    /// Drops sessions that ended or went stale before `cutoff`, to bound memory.
    pub fn prune(&self, cutoff: i64) {
        self.lock()
            .retain(|_, session| session.last_activity >= cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(byte: u8, user: &str, at: i64) -> SessionRecord {
        SessionRecord {
            token_digest: [byte; 32],
            user_id: user.into(),
            last_activity: at,
        }
    }

    #[test]
    fn use_extends_life_and_timeout_ends_it() {
        let cache = SessionCache::default();
        cache.insert(&record(1, "U", 1000));
        assert_eq!(cache.use_live(&[1; 32], 1500, 1000).as_deref(), Some("U"));
        // Used at 1500, so still live at 2400 but not at 2500.
        assert!(cache.use_live(&[1; 32], 2400, 1000).is_some());
        assert!(cache.use_live(&[1; 32], 3400, 1000).is_none());
        assert_eq!(cache.owner(&[1; 32]).as_deref(), Some("U"));
        assert!(cache.use_live(&[2; 32], 1000, 1000).is_none());
    }

    #[test]
    fn ending_is_per_session_and_counts_follow() {
        let cache = SessionCache::default();
        cache.insert(&record(1, "U", 0));
        cache.insert(&record(2, "U", 0));
        cache.insert(&record(3, "V", 0));
        assert_eq!(cache.live_count("U", 10, 0), 2);
        cache.end(&[1; 32]);
        assert_eq!(cache.live_count("U", 10, 0), 1);
        assert!(cache.use_live(&[2; 32], 10, 0).is_some());
        cache.end_user("U");
        assert_eq!(cache.live_count("U", 10, 0), 0);
        assert!(cache.use_live(&[3; 32], 10, 0).is_some());
        cache.end_all();
        assert!(cache.use_live(&[3; 32], 10, 0).is_none());
    }

    #[test]
    fn touches_are_reported_once() {
        let cache = SessionCache::default();
        cache.insert(&record(1, "U", 0));
        assert!(cache.take_touches().is_empty());
        cache.use_live(&[1; 32], 50, 0);
        assert_eq!(cache.take_touches(), vec![([1; 32], 50)]);
        assert!(cache.take_touches().is_empty());
    }
}
