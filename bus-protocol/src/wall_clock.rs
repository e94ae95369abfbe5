//! The wall clock the host passes in, as the unix seconds the Bus messages carry.

use web_time::{SystemTime, UNIX_EPOCH};

/// `wall` in whole unix seconds, rounded down: an instant before 1970 is negative, and one
/// beyond the range of `i64` saturates. Never panics.
pub(crate) fn unix_seconds(wall: SystemTime) -> i64 {
    match wall.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = before
                .as_secs()
                .saturating_add(u64::from(before.subsec_nanos() > 0));
            i64::try_from(whole).map_or(i64::MIN, |s| -s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn seconds_round_down_on_both_sides_of_the_epoch() {
        let at = |secs: u64, nanos: u32| Duration::new(secs, nanos);
        assert_eq!(unix_seconds(UNIX_EPOCH), 0);
        assert_eq!(
            unix_seconds(UNIX_EPOCH + at(1_738_483_200, 999_999_999)),
            1_738_483_200
        );
        assert_eq!(unix_seconds(UNIX_EPOCH - at(0, 1)), -1);
        assert_eq!(unix_seconds(UNIX_EPOCH - at(1, 0)), -1);
        assert_eq!(unix_seconds(UNIX_EPOCH - at(1, 500_000_000)), -2);
    }

    #[test]
    fn far_instants_saturate_instead_of_panicking() {
        // The farthest instants the platform represents, found by halving the offset.
        let extreme = |forward: bool| {
            let mut wall = UNIX_EPOCH;
            let mut step = Duration::from_secs(u64::MAX / 2);
            while step > Duration::ZERO {
                let next = if forward {
                    wall.checked_add(step)
                } else {
                    wall.checked_sub(step)
                };
                match next {
                    Some(next) => wall = next,
                    None => step /= 2,
                }
            }
            wall
        };
        let (latest, earliest) = (extreme(true), extreme(false));
        assert!(unix_seconds(latest) > 0);
        assert!(unix_seconds(earliest) < 0);
    }
}
