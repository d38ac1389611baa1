//! How long to wait before trying again when the store asks to slow down (DynamoDB's
//! throttling, a batch write it left partly unprocessed). Unlike a write conflict, which
//! another request's success resolves at once, throttling clears with time: each wait
//! doubles, with jitter so that the callers it turned away do not all come back together.

use std::time::Duration;

/// The first wait: doubled on each further try, up to `CAP`.
const BASE: Duration = Duration::from_millis(50);
const CAP: Duration = Duration::from_secs(2);

/// The wait before try number `tries + 1`, after `tries` (≥ 1) that were throttled: half of
/// the doubled step for certain, the other half at random.
pub(crate) fn pause(tries: u32) -> Duration {
    let step = BASE
        .saturating_mul(1 << tries.saturating_sub(1).min(16))
        .min(CAP);
    let half = step / 2;
    half + half.mul_f64(rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_wait_doubles_within_its_jitter_up_to_the_cap() {
        for tries in 1..=40 {
            let step = (BASE * 2u32.saturating_pow(tries - 1)).min(CAP);
            for _ in 0..50 {
                let wait = pause(tries);
                assert!(wait >= step / 2 && wait <= step, "{tries}: {wait:?}");
            }
        }
        assert!(pause(1) <= BASE);
        assert!(pause(40) >= CAP / 2);
    }
}
