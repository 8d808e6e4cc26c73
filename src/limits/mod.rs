//! Rate limits: a GCRA budget of `per_second` requests per second (bursts of as many) for
//! each verified owner, or client address. In one process the budgets are governor's; with
//! a Redis URL every process sharing that Redis draws on the same budgets.

mod shared;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use shared::SharedBudgets;

/// Whose budget a request draws on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LimitKey {
    /// A verified user: all their tokens and their API key share it.
    Owner(String),
    /// A client address, for calls without a verified owner. IPv6 addresses count by their
    /// /64, which one client can fill at will.
    Address(IpAddr),
}

impl LimitKey {
    pub fn address(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                LimitKey::Address(IpAddr::V6(prefix.into()))
            }
            IpAddr::V6(v6) => LimitKey::Address(IpAddr::V4(
                v6.to_ipv4_mapped()
                    .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
            )),
            v4 => LimitKey::Address(v4),
        }
    }

    fn redis_key(&self) -> String {
        match self {
            LimitKey::Owner(user_id) => format!("clara:rate:owner:{user_id}"),
            LimitKey::Address(ip) => format!("clara:rate:address:{ip}"),
        }
    }
}

/// Budgets kept in memory before idle ones are forgotten; each is a few dozen bytes.
const FORGET_IDLE_ABOVE: usize = 10_000;

pub struct RateLimiter {
    per_second: u32,
    /// Requests counted so far, to pace the forgetting of idle budgets.
    admitted: AtomicU64,
    local: Option<DefaultKeyedRateLimiter<LimitKey>>,
    shared: Option<SharedBudgets>,
}

impl RateLimiter {
    /// `per_second` 0 turns limits off; `redis_url` shares the budgets between processes.
    pub fn new(per_second: u32, redis_url: Option<&str>) -> anyhow::Result<Self> {
        let local = NonZeroU32::new(per_second)
            .map(|rate| DefaultKeyedRateLimiter::dashmap(Quota::per_second(rate)));
        let shared = match (redis_url, local.is_some()) {
            (Some(url), true) => Some(SharedBudgets::new(url, per_second)?),
            _ => None,
        };
        Ok(Self {
            per_second,
            admitted: AtomicU64::new(0),
            local,
            shared,
        })
    }

    pub fn is_on(&self) -> bool {
        self.per_second > 0
    }

    /// How many budgets this process keeps in memory.
    pub fn tracked(&self) -> usize {
        self.local.as_ref().map_or(0, |local| local.len())
    }

    /// Counts one request of `key`: `Err(how long to wait)` past the budget.
    pub async fn admit(&self, key: &LimitKey) -> Result<(), Duration> {
        // While Redis is away, limits held per process beat none.
        if let Some(shared) = &self.shared {
            if let Some(verdict) = shared.admit(key).await {
                return verdict;
            }
        }
        let Some(local) = &self.local else {
            return Ok(());
        };
        // Forgetting scans every budget, so it runs once per FORGET_IDLE_ABOVE requests at
        // most, not on each request while many budgets are live.
        let admitted = self.admitted.fetch_add(1, Ordering::Relaxed);
        if admitted.is_multiple_of(FORGET_IDLE_ABOVE as u64) && local.len() > FORGET_IDLE_ABOVE {
            local.retain_recent();
            local.shrink_to_fit();
        }
        local
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_gets_its_burst_and_others_are_unaffected() {
        let limiter = RateLimiter::new(2, None).unwrap();
        let a = LimitKey::Owner("a".into());
        assert!(limiter.admit(&a).await.is_ok());
        assert!(limiter.admit(&a).await.is_ok());
        let wait = limiter.admit(&a).await.unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(500));
        assert!(limiter.admit(&LimitKey::Owner("b".into())).await.is_ok());
        let off = RateLimiter::new(0, None).unwrap();
        for _ in 0..100 {
            assert!(off.admit(&a).await.is_ok());
        }
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_prefix() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(LimitKey::address(one), LimitKey::address(other));
        assert_ne!(LimitKey::address(one), LimitKey::address(elsewhere));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(
            LimitKey::address(mapped),
            LimitKey::Address("10.0.0.1".parse().unwrap())
        );
    }
}
