//! Target tracking's arithmetic for DynamoDB, without I/O, for the scaling worker to run
//! periodically: from consumed units and the target utilization to a new provisioned capacity.
//!
//! Utilization is consumed units per second over provisioned units per second, in percent. To
//! hold it at the target, capacity becomes `ceil(consumed × 100 / target)`, kept within the
//! scalable target's [MinCapacity, MaxCapacity] (and at least 1, DynamoDB's smallest capacity).
//! When does scaling happen is the alarms' business (`alarms`): out after 2 consecutive minutes
//! above the target, in after 15 consecutive minutes 20 points or more below it; `evaluate`
//! applies exactly those rules to per-minute sums. Cooldowns and suspended states are the
//! caller's (it knows the clock and the last activity).

use crate::alarms::{alarm_threshold, SCALE_IN_MARGIN};
use crate::records::AlarmKind;

/// The capacity that brings utilization to `target_value` percent for `consumed_per_second`
/// units, within `[min, max]`. With scale-in disabled the result is never below `current`
/// (unless `current` is above `max`). A target that is not a positive number leaves the
/// capacity where it is (within bounds).
pub fn desired_capacity(
    consumed_per_second: f64,
    target_value: f64,
    current: i64,
    min: i64,
    max: i64,
    scale_in_disabled: bool,
) -> i64 {
    let floor = min.max(1);
    let ceiling = max.max(floor);
    let clamp = |c: i64| c.clamp(floor, ceiling);
    if !(target_value.is_finite() && target_value > 0.0 && consumed_per_second.is_finite()) {
        return clamp(current);
    }
    let consumed = consumed_per_second.max(0.0);
    // A hair of tolerance so that 70.000000001 units at a 70 % target of 100 stays 100.
    let exact = consumed * 100.0 / target_value;
    let wanted = (exact - 1e-9).ceil();
    let wanted = if wanted >= i64::MAX as f64 {
        i64::MAX
    } else {
        wanted as i64
    };
    let desired = clamp(wanted);
    if scale_in_disabled && desired < current {
        return clamp(current);
    }
    desired
}

/// What target tracking does now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Hold,
    ScaleOut(i64),
    ScaleIn(i64),
}

/// Applies DynamoDB target tracking's alarms to `minute_sums` (consumed units per minute,
/// oldest first, the last one the latest complete minute) for a resource provisioned with
/// `current` units: scale out when the last 2 minutes are above the target, scale in when the
/// last 15 are all 20 points or more below it (and scale-in is allowed).
pub fn evaluate(
    minute_sums: &[f64],
    current: i64,
    target_value: f64,
    min: i64,
    max: i64,
    scale_in_disabled: bool,
) -> Decision {
    let provisioned = current as f64;
    let last = |n: usize| {
        minute_sums
            .len()
            .checked_sub(n)
            .and_then(|s| minute_sums.get(s..))
    };
    let high = alarm_threshold(AlarmKind::AlarmHigh, target_value, provisioned);
    if let Some(window) = last(2) {
        if window.iter().all(|s| *s > high) {
            let latest = window.last().copied().unwrap_or_default();
            let c = desired_capacity(latest / 60.0, target_value, current, min, max, false);
            return if c > current {
                Decision::ScaleOut(c)
            } else {
                Decision::Hold
            };
        }
    }
    if scale_in_disabled || target_value <= SCALE_IN_MARGIN {
        return Decision::Hold;
    }
    let low = alarm_threshold(AlarmKind::AlarmLow, target_value, provisioned);
    if let Some(window) = last(15) {
        if window.iter().all(|s| *s < low) {
            // Scale in conservatively: size for the busiest minute of the window.
            let busiest = window.iter().copied().fold(0.0, f64::max);
            let c = desired_capacity(busiest / 60.0, target_value, current, min, max, false);
            return if c < current {
                Decision::ScaleIn(c)
            } else {
                Decision::Hold
            };
        }
    }
    Decision::Hold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_for_the_target_utilization() {
        // 70 units/s at 70 % needs 100 units.
        assert_eq!(desired_capacity(70.0, 70.0, 50, 5, 1000, false), 100);
        // 70.5 units/s needs 101 (rounded up).
        assert_eq!(desired_capacity(70.5, 70.0, 50, 5, 1000, false), 101);
        // Floating-point noise does not add a unit.
        assert_eq!(desired_capacity(0.7 * 100.0, 70.0, 50, 5, 1000, false), 100);
        // Nothing consumed: the minimum.
        assert_eq!(desired_capacity(0.0, 70.0, 50, 5, 1000, false), 5);
    }

    #[test]
    fn stays_within_bounds() {
        assert_eq!(desired_capacity(10_000.0, 70.0, 50, 5, 100, false), 100);
        assert_eq!(desired_capacity(1.0, 70.0, 50, 5, 100, false), 5);
        // DynamoDB cannot go below 1 unit whatever MinCapacity says.
        assert_eq!(desired_capacity(0.0, 70.0, 3, 0, 100, false), 1);
        // min > max cannot be registered; if it were, min wins.
        assert_eq!(desired_capacity(0.0, 70.0, 3, 10, 5, false), 10);
    }

    #[test]
    fn scale_in_disabled_keeps_capacity() {
        assert_eq!(desired_capacity(1.0, 70.0, 50, 5, 100, true), 50);
        assert_eq!(desired_capacity(140.0, 70.0, 50, 5, 1000, true), 200);
        // Above the maximum it still comes down to the maximum.
        assert_eq!(desired_capacity(1.0, 70.0, 500, 5, 100, true), 100);
    }

    #[test]
    fn odd_targets_hold() {
        assert_eq!(desired_capacity(10.0, 0.0, 50, 5, 100, false), 50);
        assert_eq!(desired_capacity(10.0, -5.0, 50, 5, 100, false), 50);
        assert_eq!(desired_capacity(f64::NAN, 70.0, 50, 5, 100, false), 50);
        assert_eq!(
            desired_capacity(f64::INFINITY, 70.0, 500, 5, 100, false),
            100
        );
        assert_eq!(
            desired_capacity(1e300, 1e-300, 50, 5, i64::MAX, false),
            i64::MAX
        );
    }

    #[test]
    fn scales_out_after_two_hot_minutes() {
        // 100 units provisioned, 70 % target: above 4200 units a minute is hot.
        let hot = 140.0 * 60.0;
        assert_eq!(
            evaluate(&[0.0, hot], 100, 70.0, 5, 1000, false),
            Decision::Hold
        );
        assert_eq!(
            evaluate(&[hot, hot], 100, 70.0, 5, 1000, false),
            Decision::ScaleOut(200)
        );
        assert_eq!(
            evaluate(&[hot, hot], 100, 70.0, 5, 150, false),
            Decision::ScaleOut(150)
        );
        assert_eq!(
            evaluate(&[hot, hot], 150, 70.0, 5, 150, false),
            Decision::Hold
        );
        assert_eq!(evaluate(&[hot], 100, 70.0, 5, 1000, false), Decision::Hold);
    }

    #[test]
    fn scales_in_after_fifteen_quiet_minutes() {
        // Below 3000 units a minute (50 %) is quiet.
        let quiet = vec![20.0 * 60.0; 15];
        assert_eq!(
            evaluate(&quiet, 100, 70.0, 5, 1000, false),
            Decision::ScaleIn(29)
        );
        assert_eq!(
            evaluate(&quiet[1..], 100, 70.0, 5, 1000, false),
            Decision::Hold
        );
        assert_eq!(evaluate(&quiet, 100, 70.0, 5, 1000, true), Decision::Hold);
        assert_eq!(
            evaluate(&quiet, 100, 70.0, 50, 1000, false),
            Decision::ScaleIn(50)
        );
        let mut one_busy = quiet.clone();
        one_busy[3] = 3500.0;
        assert_eq!(
            evaluate(&one_busy, 100, 70.0, 5, 1000, false),
            Decision::Hold
        );
        // Between the alarms nothing happens.
        assert_eq!(
            evaluate(&[60.0 * 60.0; 20], 100, 70.0, 5, 1000, false),
            Decision::Hold
        );
    }
}
