//! The sign-in lockout: after [`MAX_FAILED_LOGINS`] wrong passwords in a row, sign-in is
//! refused for a delay that doubles with every further failure, up to [`MAX_LOCK_MS`].

/// Wrong passwords in a row that are tolerated before the account locks.
pub const MAX_FAILED_LOGINS: u32 = 10;
/// The first lock's length.
pub const FIRST_LOCK_MS: i64 = 30_000;
/// The longest lock.
pub const MAX_LOCK_MS: i64 = 3_600_000;

/// Until when sign-in is refused after `failures` wrong passwords in a row, the last at
/// `now_ms`; 0 while under the limit.
pub fn lock_until(failures: u32, now_ms: i64) -> i64 {
    if failures < MAX_FAILED_LOGINS {
        return 0;
    }
    let doublings = (failures - MAX_FAILED_LOGINS).min(20);
    now_ms + (FIRST_LOCK_MS << doublings).min(MAX_LOCK_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_starts_at_the_limit_and_doubles_up_to_the_cap() {
        assert_eq!(lock_until(MAX_FAILED_LOGINS - 1, 1_000), 0);
        assert_eq!(lock_until(MAX_FAILED_LOGINS, 1_000), 1_000 + FIRST_LOCK_MS);
        assert_eq!(
            lock_until(MAX_FAILED_LOGINS + 1, 1_000),
            1_000 + 2 * FIRST_LOCK_MS
        );
        assert_eq!(
            lock_until(MAX_FAILED_LOGINS + 40, 1_000),
            1_000 + MAX_LOCK_MS
        );
    }
}
