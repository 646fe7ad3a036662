//! When a failed job is tried again.

use std::time::Duration;

/// The wait after failed attempt `attempt` (1-based): the schedule the
/// Standard Webhooks specification suggests (5 s, 5 min, 30 min, 2 h, 5 h,
/// then every 10 h), which suits email too: a short blip is retried at once,
/// a receiver down for the night is retried in the morning.
pub fn retry_delay(attempt: i32) -> Duration {
    const SCHEDULE: [u64; 5] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600];
    let i = usize::try_from(attempt.max(1) - 1).unwrap_or(0);
    Duration::from_secs(SCHEDULE.get(i).copied().unwrap_or(10 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_schedule_then_every_ten_hours() {
        let secs: Vec<u64> = (1..=8).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(secs, [5, 300, 1800, 7200, 18000, 36000, 36000, 36000]);
    }

    #[test]
    fn never_shrinks() {
        let mut last = Duration::ZERO;
        for a in -2..50 {
            let d = retry_delay(a);
            assert!(d >= last, "attempt {a}: {d:?} < {last:?}");
            last = d;
        }
    }
}
