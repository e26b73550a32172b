//! Budgets of failures per key (a username, an address, a user), each
//! regaining one failure every `refill`. Only failures are counted: a
//! correct password costs nothing, so someone who knows theirs is never
//! refused for logging in often, and a guesser spends only their own budget.
//!
//! Each key keeps one instant, the moment its budget is whole again (the
//! generic cell rate algorithm): `burst` failures in a row push it
//! `burst × refill` ahead, and a key is refused while it is more than
//! `(burst − 1) × refill` ahead.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Keys are forgotten once their budget is whole again; the map is swept
/// when it grows past this many.
const SWEEP_AT: usize = 10_000;

pub struct Failures<K> {
    refill: Duration,
    /// How far ahead of now a key's instant may be and still be let in.
    slack: Duration,
    whole_at: Mutex<HashMap<K, Instant>>,
}

impl<K: Eq + Hash + Clone> Failures<K> {
    pub fn new(burst: u32, refill: Duration) -> Self {
        let refill = refill.max(Duration::from_millis(1));
        Self {
            refill,
            slack: refill * burst.max(1).saturating_sub(1),
            whole_at: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Instant>> {
        // The map only holds instants; a panic elsewhere cannot corrupt it.
        self.whole_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `Err(wait)` while `key` has spent its budget.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &K, now: Instant) -> Result<(), Duration> {
        match self.lock().get(key) {
            Some(&whole_at) if whole_at > now + self.slack => Err(whole_at - now - self.slack),
            _ => Ok(()),
        }
    }

    /// Whether `key` has failed lately (its budget is not whole).
    pub fn has_failed(&self, key: &K) -> bool {
        self.has_failed_at(key, Instant::now())
    }

    fn has_failed_at(&self, key: &K, now: Instant) -> bool {
        self.lock().get(key).is_some_and(|&whole_at| whole_at > now)
    }

    /// Counts one failure against `key`.
    pub fn fail(&self, key: &K) {
        self.fail_at(key, Instant::now());
    }

    fn fail_at(&self, key: &K, now: Instant) {
        let mut map = self.lock();
        if map.len() >= SWEEP_AT {
            map.retain(|_, whole_at| *whole_at > now);
        }
        let whole_at = map.entry(key.clone()).or_insert(now);
        *whole_at = (*whole_at).max(now) + self.refill;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_key_is_refused_after_its_burst_of_failures_and_only_then() {
        let failures = Failures::new(3, MINUTE);
        let now = Instant::now();
        for _ in 0..3 {
            assert!(failures.check_at(&"alice", now).is_ok());
            failures.fail_at(&"alice", now);
        }

        assert_eq!(failures.check_at(&"alice", now), Err(MINUTE));
        assert!(failures.has_failed_at(&"alice", now));
        assert!(failures.check_at(&"bob", now).is_ok());
        assert!(!failures.has_failed_at(&"bob", now));
    }

    #[test]
    fn the_budget_refills_one_failure_per_period() {
        let failures = Failures::new(2, MINUTE);
        let start = Instant::now();
        for _ in 0..2 {
            failures.fail_at(&1, start);
        }

        assert!(failures.check_at(&1, start + MINUTE / 2).is_err());
        assert!(failures.check_at(&1, start + MINUTE).is_ok());
        assert!(failures.has_failed_at(&1, start + MINUTE));
        assert!(!failures.has_failed_at(&1, start + 2 * MINUTE));
    }
}
