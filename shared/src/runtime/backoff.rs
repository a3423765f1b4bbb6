//! Pauses between tries of work that lost a race (a transaction that met another, a ticket
//! that changed under a write): exponential, with full jitter so the racers spread apart
//! instead of meeting again.

use crate::domain::id::{IdSource, OsRandom};
use std::time::Duration;

/// The pause before try `attempt + 1` (0 for the pause after the first try): a random share of
/// `base · 2^attempt`, at most `cap`.
pub fn delay(attempt: u32, base: Duration, cap: Duration, random: &dyn IdSource) -> Duration {
    let ceiling = base.saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX)).min(cap);
    let mut bytes = [0u8; 4];
    // Without randomness the middle of the range still spreads tries out over time.
    let share = match random.fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    };
    ceiling.mul_f64(share)
}

/// Waits [`delay`] with the operating system's randomness.
pub async fn pause(attempt: u32, base: Duration, cap: Duration) {
    tokio::time::sleep(delay(attempt, base, cap, &OsRandom)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(u8);
    impl IdSource for Fixed {
        fn fill(&self, bytes: &mut [u8]) -> Result<(), getrandom::Error> {
            bytes.fill(self.0);
            Ok(())
        }
    }

    #[test]
    fn pauses_grow_twofold_up_to_the_cap_and_are_a_random_share_of_that() {
        let (base, cap) = (Duration::from_millis(25), Duration::from_millis(400));
        let longest: Vec<Duration> = (0..6).map(|a| delay(a, base, cap, &Fixed(0xff))).collect();
        let millis: Vec<u128> = longest.iter().map(Duration::as_millis).collect();
        assert_eq!(millis, vec![25, 50, 100, 200, 400, 400]);
        assert_eq!(delay(3, base, cap, &Fixed(0)), Duration::ZERO);
        assert!(delay(3, base, cap, &Fixed(0x80)) < Duration::from_millis(200));
        assert_eq!(delay(200, base, cap, &Fixed(0xff)), cap, "no overflow however many tries");
    }
}
