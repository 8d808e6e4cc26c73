//! Budgets shared by every process through Redis: the same GCRA as in-process, run as one
//! Lua script against Redis's own clock, so processes whose clocks differ still agree.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::LimitKey;

/// How long a request may wait on Redis before it is limited in-process instead.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);
/// After Redis failed, how long requests are limited in-process without asking it again,
/// so that an outage does not add a time-out to every request.
const RETRY_REDIS_AFTER: Duration = Duration::from_secs(5);

/// GCRA: each budget keeps its theoretical arrival time (TAT) in microseconds. A request is
/// admitted while TAT - now stays within the burst's tolerance; it then moves TAT on by one
/// emission interval. Returns 0 when admitted, else the microseconds to wait.
const GCRA: &str = r"
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then
  return tat - now - tolerance
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1)
return 0
";

pub struct SharedBudgets {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    script: redis::Script,
    interval_us: u64,
    tolerance_us: u64,
    failed_at: Mutex<Option<Instant>>,
}

impl SharedBudgets {
    pub fn new(url: &str, per_second: u32) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("RATE_LIMIT_REDIS_URL is not a Redis URL")?;
        let interval_us = 1_000_000 / u64::from(per_second.max(1));
        Ok(Self {
            client,
            connection: OnceCell::new(),
            script: redis::Script::new(GCRA),
            interval_us,
            // A burst of `per_second` requests: all but the first ride on the tolerance.
            tolerance_us: interval_us * u64::from(per_second.saturating_sub(1)),
            failed_at: Mutex::new(None),
        })
    }

    /// The verdict on one request of `key`; `None` while Redis cannot give it.
    pub async fn admit(&self, key: &LimitKey) -> Option<Result<(), Duration>> {
        let failed_at = *self.failed_at.lock().unwrap_or_else(|e| e.into_inner());
        if failed_at.is_some_and(|at| at.elapsed() < RETRY_REDIS_AFTER) {
            return None;
        }
        match self.ask(key).await {
            Ok(verdict) => {
                if failed_at.is_some() {
                    tracing::info!("Redis rate limits are back");
                }
                *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = None;
                Some(verdict)
            }
            Err(error) => {
                if failed_at.is_none() {
                    tracing::warn!(error = %format!("{error:#}"), "Redis rate limits unavailable; limiting in this process");
                }
                *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                None
            }
        }
    }

    async fn ask(&self, key: &LimitKey) -> anyhow::Result<Result<(), Duration>> {
        let attempt = async {
            let mut connection = self.connection().await?.clone();
            let wait_us: u64 = self
                .script
                .key(key.redis_key())
                .arg(self.interval_us)
                .arg(self.tolerance_us)
                .invoke_async(&mut connection)
                .await?;
            anyhow::Ok(wait_us)
        };
        let wait_us = tokio::time::timeout(REDIS_TIMEOUT, attempt)
            .await
            .context("Redis did not answer in time")??;
        Ok(match wait_us {
            0 => Ok(()),
            wait => Err(Duration::from_micros(wait)),
        })
    }

    async fn connection(&self) -> anyhow::Result<&ConnectionManager> {
        self.connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_number_of_retries(1)
                    .set_connection_timeout(Some(REDIS_TIMEOUT))
                    .set_response_timeout(Some(REDIS_TIMEOUT));
                ConnectionManager::new_with_config(self.client.clone(), config)
                    .await
                    .context("cannot connect to RATE_LIMIT_REDIS_URL")
            })
            .await
    }
}
